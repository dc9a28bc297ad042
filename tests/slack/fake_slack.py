"""A protocol-faithful fake of Slack on 127.0.0.1: the Web API methods the adapter calls,
response URLs, file upload URLs and a Socket Mode WebSocket. It records every call.

Like Slack, it accepts form, JSON and query-string arguments, answers `ok: false` with an
error for what it refuses, answers 429 with Retry-After when told to, and checks tokens.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

TEAM_ID = "T0TEAM"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
BOT_TOKEN = "xoxb-1111-2222-fakebottokenvalue"
APP_TOKEN = "xapp-1-A111-3333-fakeapptokenvalue"
INSTALLED_BOT_TOKEN = "xoxb-9999-8888-installedtokenvalue"
WAIT_SECONDS = 5.0  # every wait on the fake gives up after this


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None
    at: float  # the loop's clock when the call arrived


@dataclass
class Failure:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def user(
    user_id: str,
    name: str,
    *,
    is_admin: bool = False,
    is_owner: bool = False,
    is_bot: bool = False,
    deleted: bool = False,
) -> dict[str, Any]:
    return {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": name.lower().replace(" ", ""),
        "real_name": name,
        "deleted": deleted,
        "is_admin": is_admin,
        "is_owner": is_owner,
        "is_bot": is_bot,
        "profile": {"display_name": name, "real_name": name},
    }


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []  # (response url id, body)
        self.uploads: dict[str, bytes] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.tokens = {BOT_TOKEN, INSTALLED_BOT_TOKEN}
        self.channels_without_bot: set[str] = set()
        self.missing_scopes: set[str] = set()  # e.g. "channels:history": refused with missing_scope
        # channel -> its messages, oldest first, as conversations.history answers them
        self.history: dict[str, list[dict[str, Any]]] = {}
        self._last_ts = 0.0
        self.failures: dict[str, list[Failure]] = {}
        self.socket_acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_opened = asyncio.Event()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{id}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self) -> str:
        return f"{self.url}/respond/{next(self._ids)}"

    # --- test controls and records ---------------------------------------------------

    def add_user(self, user_id: str, name: str, **flags: bool) -> None:
        self.users[user_id] = user(user_id, name, **flags)

    def fail_next(self, method: str, failure: Failure) -> None:
        self.failures.setdefault(method, []).append(failure)

    def rate_limit_next(self, method: str, retry_after: int = 1) -> None:
        self.fail_next(
            method,
            Failure(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}),
        )

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posted(self) -> list[Call]:
        """Successful chat.postMessage calls (a refused one is recorded with `refused`)."""
        return [c for c in self.calls_to("chat.postMessage") if not c.args.get("refused")]

    def all_text_sent(self) -> str:
        """Everything the app wrote to Slack: messages, views, responses, as one string."""
        parts = [json.dumps(c.args) for c in self.calls if c.method != "users.info"]
        parts += [json.dumps(body) for _, body in self.responses]
        return "\n".join(parts)

    # --- Web API -----------------------------------------------------------------------

    async def _arguments(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        for key in ("blocks", "view", "files"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    @staticmethod
    def _token(request: web.Request, args: dict[str, Any]) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header.removeprefix("Bearer ")
        token = args.pop("token", None)
        return str(token) if token else None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._arguments(request)
        token = self._token(request, args)
        call = Call(method, args, token, asyncio.get_running_loop().time())
        self.calls.append(call)
        pending = self.failures.get(method)
        if pending:
            failure = pending.pop(0)
            call.args["refused"] = failure.body.get("error", failure.status)
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        if method == "oauth.v2.access":
            return web.json_response(self._oauth_access(args))
        if method == "apps.connections.open":
            if not (token or "").startswith("xapp-") or token != APP_TOKEN:
                return web.json_response({"ok": False, "error": "invalid_auth"})
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"})
        if token not in self.tokens:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        body = handler(call)
        if not body.get("ok"):
            call.args["refused"] = body.get("error")
        return web.json_response(body)

    def _auth_test(self, call: Call) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.test/",
            "team": "Fake Team",
            "user": "smartconnections",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }

    def _users_info(self, call: Call) -> dict[str, Any]:
        found = self.users.get(str(call.args.get("user")))
        if found is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": found}

    def _conversations_open(self, call: Call) -> dict[str, Any]:
        users = str(call.args.get("users", ""))
        return {"ok": True, "channel": {"id": "D" + users.replace(",", "")}}

    def _conversations_join(self, call: Call) -> dict[str, Any]:
        channel = str(call.args.get("channel"))
        self.channels_without_bot.discard(channel)
        return {"ok": True, "channel": {"id": channel}}

    def _next_ts(self) -> str:
        """A message's ts, as Slack makes it: the wall-clock time, unique and increasing."""
        self._last_ts = max(time.time(), self._last_ts + 0.000001)
        return f"{self._last_ts:.6f}"

    def _chat_postMessage(self, call: Call) -> dict[str, Any]:
        channel = str(call.args.get("channel"))
        if channel in self.channels_without_bot:
            return {"ok": False, "error": "not_in_channel"}
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": call.args.get("text", ""),
        }
        metadata = call.args.get("metadata")
        if isinstance(metadata, str):  # form-encoded: JSON text
            metadata = json.loads(metadata)
        if metadata:
            message["metadata"] = metadata
        self.history.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _conversations_history(self, call: Call) -> dict[str, Any]:
        """Newest first, from `latest` back to `oldest` (exclusive), `limit` a page, with a
        cursor; metadata only when include_all_metadata is set."""
        channel = str(call.args.get("channel"))
        scope = "groups:history" if channel.startswith("G") else "channels:history"
        if scope in self.missing_scopes:
            return {"ok": False, "error": "missing_scope", "needed": scope}
        if channel in self.channels_without_bot:
            return {"ok": False, "error": "not_in_channel"}
        oldest = float(call.args.get("oldest") or 0)
        latest = float(call.args.get("latest") or "inf")
        limit = max(1, min(int(call.args.get("limit") or 100), 999))
        skip = int(str(call.args.get("cursor") or "0").removeprefix("next:") or 0)
        found = [
            m for m in reversed(self.history.get(channel, [])) if oldest < float(m["ts"]) <= latest
        ]
        page = found[skip : skip + limit]
        with_metadata = str(call.args.get("include_all_metadata")).lower() in ("1", "true")
        messages = [
            m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in page
        ]
        more = skip + limit < len(found)
        return {
            "ok": True,
            "messages": messages,
            "has_more": more,
            "response_metadata": {"next_cursor": f"next:{skip + limit}" if more else ""},
        }

    def _chat_postEphemeral(self, call: Call) -> dict[str, Any]:
        return {"ok": True, "message_ts": f"1700000000.{next(self._ids):06d}"}

    def _view(self, call: Call) -> dict[str, Any]:
        return {"ok": True, "view": {"id": f"V{next(self._ids)}", **(call.args.get("view") or {})}}

    _views_open = _view
    _views_update = _view
    _views_publish = _view

    def _files_getUploadURLExternal(self, call: Call) -> dict[str, Any]:
        file_id = f"F{next(self._ids)}"
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, call: Call) -> dict[str, Any]:
        files = call.args.get("files") or []
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def _oauth_access(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("code") != "good-code":
            return {"ok": False, "error": "invalid_code"}
        return {
            "ok": True,
            "app_id": "A0APP",
            "authed_user": {"id": "UINSTALLER"},
            "scope": "commands,chat:write,users:read",
            "token_type": "bot",
            "access_token": INSTALLED_BOT_TOKEN,
            "bot_user_id": "UBOT2",
            "team": {"id": "T0OTHER", "name": "Other Team"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    # --- response URLs and uploads ----------------------------------------------------

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append((request.match_info["id"], await request.json()))
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        self.uploads[request.match_info["file_id"]] = data
        return web.Response(text=f"OK - {len(data)}")

    # --- Socket Mode ---------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        self._socket_opened.set()
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {}})
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                await self.socket_acks.put(json.loads(message.data))
        return ws

    async def socket_connected(self) -> None:
        async with asyncio.timeout(WAIT_SECONDS):
            await self._socket_opened.wait()

    async def socket_send(self, envelope: dict[str, Any]) -> None:
        await self._sockets[-1].send_json(envelope)

    async def socket_ack(self, envelope_id: str) -> dict[str, Any]:
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                ack = await self.socket_acks.get()
                if ack.get("envelope_id") == envelope_id:
                    return ack
