"""A protocol-faithful fake Discord (REST + gateway) on 127.0.0.1, for the real discord.py.

It answers what discord.py asks at login, speaks the gateway (HELLO, IDENTIFY/READY,
GUILD_CREATE, RESUME/RESUMED, heartbeats) in plain-text frames, sends the interactions a
test asks for, and records every REST call so tests can read what the bot sent.
See ../shared/TESTING.md for the protocol facts it relies on.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

API = "/api/v10"
APP_ID = 700000000000000001
BOT_ID = 700000000000000002
HEARTBEAT_INTERVAL_MS = 41250
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
MEMBER_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS
ADMIN_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_GUILD
TIMESTAMP = "2026-11-02T12:00:00.000000+00:00"


def snowflakes(start: int) -> Callable[[], int]:
    counter = itertools.count(start)
    return lambda: next(counter)


DISCORD_EPOCH_MS = 1420070400000


def snowflake_at(moment: datetime) -> int:
    """The smallest id Discord could give something made at `moment` (its time is in the id)."""
    return (int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22


@dataclass
class User:
    id: int
    name: str
    bot: bool = False
    permissions: int = MEMBER_PERMISSIONS

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name.lower().replace(" ", "_"),
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
        }

    def member_payload(self) -> dict[str, Any]:
        return {
            "user": self.payload(),
            "nick": None,
            "roles": [],
            "joined_at": TIMESTAMP,
            "deaf": False,
            "mute": False,
            "flags": 0,
        }

    def interaction_member(self) -> dict[str, Any]:
        # Discord adds the member's permissions in the channel to interaction payloads.
        return {**self.member_payload(), "permissions": str(self.permissions)}


@dataclass
class Channel:
    id: int
    name: str
    type: int = 0  # text
    denied_to_everyone: int = 0  # permission bits a channel override denies to @everyone

    def payload(self, guild_id: int) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "type": self.type,
            "guild_id": str(guild_id),
            "position": 0,
            "permission_overwrites": [
                {"id": str(guild_id), "type": 0, "allow": "0", "deny": str(self.denied_to_everyone)}
            ]
            if self.denied_to_everyone
            else [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }


@dataclass
class Guild:
    id: int
    name: str
    members: list[User]
    channels: list[Channel]

    def role_payload(self) -> dict[str, Any]:
        return {  # @everyone: its id is the guild's
            "id": str(self.id),
            "name": "@everyone",
            "permissions": str(MEMBER_PERMISSIONS),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    def create_payload(self, bot: User) -> dict[str, Any]:
        members = [*self.members, bot]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": str(self.members[0].id),
            "unavailable": False,
            "member_count": len(members),  # equal to the members sent, or the client waits
            "members": [m.member_payload() for m in members],
            "channels": [c.payload(self.id) for c in self.channels],
            "roles": [self.role_payload()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "large": False,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "joined_at": TIMESTAMP,
            "system_channel_id": None,
            "afk_timeout": 300,
        }


@dataclass
class Request:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any
    files: dict[str, bytes] = field(default_factory=dict)
    authorization: str | None = None


def _json(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": discord.py refuses "application/json; charset=utf-8".
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status)


class FakeDiscord:
    def __init__(self, token: str) -> None:
        self.token = token
        self.bot = User(id=BOT_ID, name="Smart Connections", bot=True)
        self.guilds: dict[int, Guild] = {}
        self.requests: list[Request] = []
        self.gateway_events: list[tuple[int, str | None]] = []  # (op, event) received/sent
        self.identify_count = 0
        self.resume_count = 0
        self.shard: list[int] | None = None  # READY's "shard" when a sharded client connects
        self.forbidden_channels: set[int] = set()  # the bot may not post there (403)
        self.unreadable_channels: set[int] = set()  # no Read Message History there (403)
        self.channel_messages: dict[int, list[dict[str, Any]]] = {}  # oldest first
        self._last_message_id = 0
        self.closed_dms: set[int] = set()  # users who do not accept DMs (403, 50007)
        self.fail_command_sync = False  # refuse command syncs (400, as for a bad payload)
        self.fail_member_lookups = False  # answer member look-ups with a 400
        self.listeners: list[Callable[[Request], None]] = []  # told of each call (benches)
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._sequence = 0
        self._next_id = snowflakes(800000000000000001)
        self._dm_channels: dict[int, int] = {}  # DM channel id -> user id
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- set-up --------------------------------------------------------------------

    def add_guild(self, guild: Guild) -> Guild:
        self.guilds[guild.id] = guild
        return guild

    def user(self, user_id: int) -> User | None:
        for guild in self.guilds.values():
            for member in guild.members:
                if member.id == user_id:
                    return member
        return self.bot if user_id == self.bot.id else None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests do -----------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[Request], bool], within: float = 5.0) -> Request:
        """The first recorded REST call matching `predicate`."""

        def found() -> Request | None:
            return next((r for r in self.requests if predicate(r)), None)

        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: found() is not None)
        result = found()
        assert result is not None
        return result

    async def wait_until(self, condition: Callable[[], bool], within: float = 5.0) -> None:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(condition)

    def calls(self, method: str, prefix: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def direct_messages(self) -> list[tuple[int, Request]]:
        """(recipient, request) of every DM the bot tried to send, refused ones included."""
        sent = []
        for r in self.requests:
            parts = r.path.strip("/").split("/")
            if r.method == "POST" and parts[0] == "channels" and parts[2:] == ["messages"]:
                recipient = self._dm_channels.get(int(parts[1]))
                if recipient is not None:
                    sent.append((recipient, r))
        return sent

    def command_syncs(self) -> list[Request]:
        return [
            r
            for r in self.requests
            if r.method == "PUT" and r.path.startswith(f"/applications/{APP_ID}/")
        ]

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        if not self._sockets:
            raise AssertionError("no client is connected to the fake gateway")
        await self._send(self._sockets[-1], {"op": 0, "t": event, "d": data})

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the gateway as Discord does on a hiccup: the client should RESUME."""
        for ws in list(self._sockets):
            await ws.close(code=code)

    # --- gateway ---------------------------------------------------------------------

    async def _send(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        if payload["op"] == 0:
            self._sequence += 1
            payload["s"] = self._sequence
        else:
            payload.setdefault("s", None)
        payload.setdefault("t", None)
        self.gateway_events.append((payload["op"], payload["t"]))
        await ws.send_str(json.dumps(payload))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        try:
            await self._send(ws, {"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                await self._on_gateway_message(ws, json.loads(message.data))
        finally:
            self._sockets.remove(ws)
            await self._notify()
        return ws

    async def _on_gateway_message(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        op, data = payload["op"], payload.get("d")
        self.gateway_events.append((op, None))
        if op == 1:
            await self._send(ws, {"op": 11})
        elif op == 2:
            if data["token"] != self.token:
                await ws.close(code=4004, message=b"Authentication failed.")
                return
            self.identify_count += 1
            self.shard = data.get("shard")
            await self._send(ws, {"op": 0, "t": "READY", "d": self._ready(data)})
            for guild in self.guilds.values():
                await self._send(
                    ws, {"op": 0, "t": "GUILD_CREATE", "d": guild.create_payload(self.bot)}
                )
        elif op == 6:
            self.resume_count += 1
            await self._send(ws, {"op": 0, "t": "RESUMED", "d": {}})
        await self._notify()

    def _ready(self, identify: dict[str, Any]) -> dict[str, Any]:
        ready: dict[str, Any] = {
            "v": 10,
            "user": self.bot.payload(),
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APP_ID), "flags": 0},
            "private_channels": [],
        }
        if identify.get("shard") is not None:
            ready["shard"] = identify["shard"]
        return ready

    # --- REST ------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _record(self, request: web.Request, path: str) -> Request:
        body: Any = None
        files: dict[str, bytes] = {}
        if request.content_type == "multipart/form-data":
            form = await request.post()
            for name, value in form.items():
                if name == "payload_json":
                    body = json.loads(str(value))
                elif hasattr(value, "file"):
                    files[value.filename] = value.file.read()
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        recorded = Request(
            method=request.method,
            path=path,
            query=dict(request.query),
            json=body,
            files=files,
            authorization=request.headers.get("Authorization"),
        )
        self.requests.append(recorded)
        return recorded

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        recorded = await self._record(request, path)
        for listener in self.listeners:
            listener(recorded)
        try:
            return self._answer(recorded)
        finally:
            await self._notify()

    def _answer(self, r: Request) -> web.Response:
        parts = r.path.strip("/").split("/")
        is_interaction = parts[0] in ("interactions", "webhooks")
        if not is_interaction and r.authorization != f"Bot {self.token}":
            return _error(401, 0, "401: Unauthorized")
        if r.path == "/users/@me" and r.method == "GET":
            return _json(self.bot.payload())
        if r.path == "/oauth2/applications/@me":
            return _json(self._application())
        if r.path == "/gateway/bot":
            return _json(
                {
                    "url": self.gateway_url,
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        if parts[0] == "applications" and r.method == "PUT" and self.fail_command_sync:
            return _error(400, 50035, "Invalid Form Body")
        if parts[0] == "applications" and r.method == "PUT":
            return _json(
                [
                    {
                        "description": "",  # Discord's answer has one, context menus too
                        **command,
                        "id": str(self._next_id()),
                        "application_id": str(APP_ID),
                        "version": "1",
                    }
                    for command in r.json or []
                ]
            )
        if parts[0] == "interactions" and parts[-1] == "callback":
            return _json(
                {"interaction": {"id": parts[1], "type": 2, "response_message_loading": False}}
            )
        if parts[0] == "webhooks":
            return _json(self._message(int(parts[1]), r.json or {}, webhook=True))
        if parts[:2] == ["users", "@me"] and parts[2:] == ["channels"]:
            return self._open_dm(int(r.json["recipient_id"]))
        if parts[0] == "channels" and parts[2:] == ["messages"] and r.method == "POST":
            return self._post_message(int(parts[1]), r.json or {})
        if parts[0] == "channels" and parts[2:] == ["messages"] and r.method == "GET":
            return self._read_messages(int(parts[1]), r.query)
        if parts[0] == "guilds" and parts[2:3] == ["members"] and self.fail_member_lookups:
            return _error(400, 0, "400: Bad Request")
        if parts[0] == "guilds" and parts[2:3] == ["members"] and r.method == "GET":
            return self._member(int(parts[1]), int(parts[3]))
        return _error(404, 0, f"404: Not Found ({r.method} {r.path})")

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(APP_ID),
            "name": "Smart Connections",
            "icon": None,
            "description": "",
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": {
                "id": "700000000000000009",
                "username": "owner",
                "discriminator": "0",
                "avatar": None,
            },
            "verify_key": "0" * 64,
            "flags": 0,
        }

    def _open_dm(self, user_id: int) -> web.Response:
        channel_id = self._next_id()
        self._dm_channels[channel_id] = user_id
        user = self.user(user_id) or User(id=user_id, name="someone")
        return _json(
            {
                "id": str(channel_id),
                "type": 1,
                "recipients": [user.payload()],
                "last_message_id": None,
            }
        )

    def _post_message(self, channel_id: int, body: dict[str, Any]) -> web.Response:
        recipient = self._dm_channels.get(channel_id)
        if recipient is not None and recipient in self.closed_dms:
            return _error(403, 50007, "Cannot send messages to this user")
        if channel_id in self.forbidden_channels:
            return _error(403, 50013, "Missing Permissions")
        if recipient is None and channel_id not in self._known_channels():
            return _error(404, 10003, "Unknown Channel")
        # Ids carry the time they were made, as Discord's do (history reads go by them).
        now = datetime.now(UTC)
        self._last_message_id = max(snowflake_at(now), self._last_message_id + 1)
        message = self._message(channel_id, body)
        message["id"] = str(self._last_message_id)
        message["timestamp"] = now.isoformat()
        self.channel_messages.setdefault(channel_id, []).append(message)
        return _json(message)

    def _known_channels(self) -> set[int]:
        return {c.id for g in self.guilds.values() for c in g.channels}

    def _read_messages(self, channel_id: int, query: dict[str, str]) -> web.Response:
        """GET /channels/{id}/messages: `limit` (1-100) messages, newest first; with `after`,
        the oldest ones after that id; with `before`, the newest ones before it."""
        if channel_id in self.unreadable_channels:
            return _error(403, 50001, "Missing Access")
        if channel_id not in self._known_channels() and channel_id not in self._dm_channels:
            return _error(404, 10003, "Unknown Channel")
        limit = max(1, min(int(query.get("limit", "50")), 100))
        messages = self.channel_messages.get(channel_id, [])
        if "after" in query:
            after = int(query["after"])
            chosen = [m for m in messages if int(m["id"]) > after][:limit]
        else:
            before = int(query.get("before", str(2**63)))
            chosen = [m for m in messages if int(m["id"]) < before][-limit:]
        return _json(list(reversed(chosen)))

    def _member(self, guild_id: int, user_id: int) -> web.Response:
        guild = self.guilds.get(guild_id)
        member = next((m for m in guild.members if m.id == user_id), None) if guild else None
        if member is None:
            return _error(404, 10007, "Unknown Member")
        return _json(member.member_payload())

    def _message(
        self, channel_id: int, body: dict[str, Any], webhook: bool = False
    ) -> dict[str, Any]:
        return {
            "id": str(self._next_id()),
            "channel_id": str(channel_id),
            "type": 0,
            "content": body.get("content") or "",
            "author": self.bot.payload(),
            "embeds": body.get("embeds") or [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "flags": body.get("flags") or 0,
            **({"webhook_id": str(APP_ID)} if webhook else {}),
        }

    # --- interactions ------------------------------------------------------------------

    def interaction(
        self,
        guild: Guild | None,
        user: User,
        data: dict[str, Any],
        *,
        kind: int = 2,
        channel: Channel | None = None,
    ) -> dict[str, Any]:
        channel = channel or (guild.channels[0] if guild else None)
        payload: dict[str, Any] = {
            "id": str(self._next_id()),
            "application_id": str(APP_ID),
            "type": kind,
            "token": f"interaction-token-{self._next_id()}",
            "version": 1,
            "data": data,
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(MEMBER_PERMISSIONS),
            "locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)} if guild else {},
            "context": 0 if guild else 1,
        }
        if guild is not None:
            payload["guild_id"] = str(guild.id)
            payload["member"] = user.interaction_member()
            payload["guild_locale"] = "en-US"
        else:
            payload["user"] = user.payload()
        if channel is not None and guild is not None:
            payload["channel"] = channel.payload(guild.id)
            payload["channel_id"] = str(channel.id)
        return payload

    async def send_interaction(self, payload: dict[str, Any]) -> None:
        await self.dispatch("INTERACTION_CREATE", payload)

    def answers_to(self, payload: dict[str, Any]) -> list[Request]:
        """Every call answering this interaction: its callback and its follow-ups."""
        token = payload["token"]
        return [r for r in self.requests if token in r.path]
