"""The fake Slack and fake Discord, able to have a bad moment: answer 5xx or 429 to the next
calls of a method or path, or answer slowly, as the real platforms sometimes do."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.discord.fake_discord import FakeDiscord, Request
from tests.slack.fake_slack import Failure, FakeSlack


def slack_server_error(status: int = 500) -> Failure:
    return Failure(status, {"ok": False, "error": "fatal_error"})


def slack_rate_limit(retry_after: int = 0) -> Failure:
    return Failure(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})


class SlowSlack(FakeSlack):
    """The fake Slack, taking `slow[method]` seconds to accept a call, and `slow_answer[method]`
    more to answer it (as the answer travels back: the call is done, the caller can't know)."""

    def __init__(self) -> None:
        super().__init__()
        self.slow: dict[str, float] = {}
        self.slow_answer: dict[str, float] = {}

    async def _api(self, request: web.Request) -> web.Response:
        # Shielded: like Slack, the fake finishes a call whose caller has gone (been killed).
        accepted = asyncio.shield(self._accept(request))
        response = await accepted
        if delay := self.slow_answer.get(request.match_info["method"], 0.0):
            await asyncio.sleep(delay)
        return response

    async def _accept(self, request: web.Request) -> web.Response:
        await request.read()  # the whole call has arrived: from here, it happens
        if delay := self.slow.get(request.match_info["method"], 0.0):
            await asyncio.sleep(delay)
        return await super()._api(request)

    async def _arguments(self, request: web.Request) -> dict[str, Any]:
        # As the fake reads them, from the body read on arrival (aiohttp keeps it).
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.body_exists:
            if request.content_type == "application/json":
                args.update(json.loads(await request.read() or b"{}"))
            else:
                args.update(dict(await request.post()))
        for key in ("blocks", "view", "files"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args


@dataclass
class DiscordFailure:
    status: int
    retry_after: float = 0.0


class FlakyDiscord(FakeDiscord):
    """The fake Discord; `fail(prefix, ...)` makes the next requests whose path starts with
    `prefix` fail, one failure each, in order (a 429 with its retry_after, or a 5xx)."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self._failures: list[tuple[str, DiscordFailure]] = []
        self.failed: list[Request] = []

    def fail(self, prefix: str, *failures: DiscordFailure) -> None:
        self._failures.extend((prefix, f) for f in failures)

    def _answer(self, r: Request) -> web.Response:
        for index, (prefix, failure) in enumerate(self._failures):
            if r.method == "POST" and r.path.startswith(prefix):
                del self._failures[index]
                self.failed.append(r)
                return _failure(failure)
        return super()._answer(r)

    def delivered(self, prefix: str) -> list[Request]:
        """Requests to `prefix` that were answered with success."""
        failed = {id(r) for r in self.failed}  # a retry equals its failed attempt: by identity
        return [
            r
            for r in self.requests
            if r.method == "POST" and r.path.startswith(prefix) and id(r) not in failed
        ]


def _failure(failure: DiscordFailure) -> web.Response:
    if failure.status == 429:
        body = {"message": "You are being rate limited.", "retry_after": failure.retry_after}
        headers = {
            "Content-Type": "application/json",
            "X-RateLimit-Scope": "user",
            "Retry-After": str(failure.retry_after),
            # Discord's own 429s come through its proxy; without this, discord.py takes the
            # answer for a Cloudflare ban and gives up.
            "Via": "1.1 google",
        }
        body["global"] = False
    else:
        body = {"message": "Internal Server Error", "code": 0}
        headers = {"Content-Type": "application/json"}
    return web.Response(body=json.dumps(body).encode(), status=failure.status, headers=headers)
