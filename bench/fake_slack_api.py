"""A lean fake of the Slack Web API for the benches: the calls the app makes while serving
kudos and posting digests (auth.test, users.info, conversations.open, chat.postMessage,
response URLs), with Slack's shapes, token check and 429 + Retry-After, at a few µs a call.

tests/slack/fake_slack.py is the protocol-faithful fake the tests use; it costs ~100 µs a
call, which in a bench would make the harness, not the app, the bottleneck.

It records what was posted, so a bench can tell a lost or doubled message. Optionally it
enforces Slack's pace of one message a second per channel, answers some posts with a 429
at random, and holds each answer back a little (as a real network does), counting the
calls in flight.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bench.lean_http import LeanServer, Message, Reply

BOT_TOKEN = "xoxb-1111-2222-fakebottokenvalue"
TEAM_ID = "T0TEAM"
JSON = {"Content-Type": "application/json; charset=utf-8"}


def user(user_id: str, name: str, is_admin: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": name.lower().replace(" ", ""),
        "real_name": name,
        "deleted": False,
        "is_admin": is_admin,
        "is_owner": False,
        "is_bot": False,
        "profile": {"display_name": name, "real_name": name},
    }


@dataclass
class Pacing:
    """Slack's limits, enforced: one post a second per channel, and random 429s."""

    per_channel_seconds: float = 1.0
    random_429: float = 0.0
    retry_after: int = 1
    seed: int = 8


@dataclass
class LeanSlack:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    pacing: Pacing | None = None
    latency: float = 0.0  # each answer is sent this long after its request arrived
    posts: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    rate_limited: int = 0
    _last_post: dict[str, float] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _server: LeanServer | None = None

    def __post_init__(self) -> None:
        self._random = random.Random(self.pacing.seed if self.pacing else 0)

    async def start(self) -> None:
        self._server = LeanServer(self._reply, latency=self.latency)
        await self._server.start()

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    @property
    def peak_in_flight(self) -> int:
        """The most calls the app had waiting for an answer at once (with a latency)."""
        return self._server.peak_in_flight if self._server is not None else 0

    def posted_count(self) -> int:
        return sum(len(texts) for texts in self.posts.values())

    # --- answering ------------------------------------------------------------------------

    def _reply(self, request: Message) -> Reply:
        parts = urlsplit(request.target)
        if parts.path.startswith("/respond/"):
            self.responses.append((parts.path.rsplit("/", 1)[1], json.loads(request.body)))
            return 200, {"Content-Type": "text/plain"}, b"ok"
        if not parts.path.startswith("/api/"):
            self.unexpected.append(request.target)
            return 404, {}, b""
        method = parts.path.removeprefix("/api/")
        self.calls[method] += 1
        if request.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
            return self._json({"ok": False, "error": "invalid_auth"})
        args = dict(parse_qsl(parts.query))
        content_type = request.headers.get("content-type", "")
        if request.body and content_type.startswith("application/json"):
            args.update(json.loads(request.body))
        elif request.body:
            args.update(parse_qsl(request.body.decode()))
        if method == "auth.test":
            return self._json({"ok": True, "team_id": TEAM_ID, "user_id": "UBOT", "bot_id": "BBOT"})
        if method == "users.info":
            found = self.users.get(str(args.get("user")))
            if found is None:
                return self._json({"ok": False, "error": "user_not_found"})
            return self._json({"ok": True, "user": found})
        if method == "conversations.open":
            return self._json({"ok": True, "channel": {"id": "D" + str(args.get("users"))}})
        if method == "conversations.join":
            return self._json({"ok": True, "channel": {"id": str(args.get("channel"))}})
        if method == "chat.postMessage":
            return self._post(str(args.get("channel")), str(args.get("text")))
        self.unexpected.append(method)
        return self._json({"ok": False, "error": "unknown_method"})

    def _post(self, channel: str, text: str) -> Reply:
        pacing = self.pacing
        if pacing is not None:
            now = asyncio.get_running_loop().time()
            last = self._last_post.get(channel)
            too_soon = last is not None and now - last < pacing.per_channel_seconds
            if too_soon or self._random.random() < pacing.random_429:
                self.rate_limited += 1
                headers = {**JSON, "Retry-After": str(pacing.retry_after)}
                return 429, headers, b'{"ok":false,"error":"ratelimited"}'
            self._last_post[channel] = now
        self.posts[channel].append(text)
        ts = f"1700000000.{next(self._ids):06d}"
        return self._json({"ok": True, "channel": channel, "ts": ts})

    @staticmethod
    def _json(body: dict[str, Any]) -> Reply:
        return 200, JSON, json.dumps(body).encode()
