"""The real Slack runtime (bootstrap's wiring, bolt, the HTTP server) on loopback, driven by
signed requests and talking to the fake Slack."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import func, select

from adapters.slack.runtime import SlackRuntime
from bot import bootstrap
from bot.bootstrap import Store
from bot.domain import Community, Kudos
from bot.settings import Settings
from storage import tables as t
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, TEAM_ID, FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
COMMUNITY = f"slack:{TEAM_ID}"
TIMEOUT = aiohttp.ClientTimeout(total=10)

# The workspace: people, an admin, an owner, a bot, Slackbot and a deactivated account.
PEOPLE = {
    "UALICE": ("Alice", {}),
    "UBOB": ("Bob", {}),
    "UCAROL": ("Carol", {}),
    "WDAVE": ("Dave", {}),  # an Enterprise Grid user id
    "UADMIN": ("Ada Admin", {"is_admin": True}),
    "UOWNER": ("Olga Owner", {"is_owner": True}),
    "UHELPERBOT": ("Helper Bot", {"is_bot": True}),
    "USLACKBOT": ("Slackbot", {}),
    "UGONE": ("Gone Person", {"deleted": True}),
}


def populate(fake: FakeSlack) -> None:
    for user_id, (name, flags) in PEOPLE.items():
        fake.add_user(user_id, name, **flags)


def sign(body: str, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Answer:
    status: int
    text: str
    content_type: str

    def json(self) -> dict[str, Any]:
        return cast(dict[str, Any], json.loads(self.text))

    @property
    def message(self) -> str:
        """The ack's text, whether bolt answered text/plain or JSON."""
        if self.content_type == "application/json":
            return str(self.json().get("text", ""))
        return self.text


class SlackDriver:
    """Signed requests to the app, as Slack sends them."""

    def __init__(self, url: str, fake: FakeSlack) -> None:
        self.url = url
        self.fake = fake
        self._ids = itertools.count(1)

    async def post(
        self,
        body: str,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
        signed: bool = True,
        timestamp: int | None = None,
    ) -> Answer:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        sent = {"Content-Type": content_type}
        if signed:
            sent |= {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(body, ts)}
        sent |= headers or {}
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as session,
            session.post(f"{self.url}/slack/events", data=body.encode(), headers=sent) as r,
        ):
            return Answer(r.status, await r.text(), r.content_type)

    def command_body(
        self, command: str, text: str, user: str, channel: str, team: str = TEAM_ID
    ) -> str:
        n = next(self._ids)
        return urlencode(
            {
                "token": "verification-token-unused",
                "team_id": team,
                "team_domain": "fake",
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "api_app_id": "A0APP",
                "is_enterprise_install": "false",
                "response_url": self.fake.response_url(),
                "trigger_id": f"{n}.{n}.trigger{n}",
            }
        )

    async def command(
        self,
        command: str,
        text: str,
        user: str = "UALICE",
        channel: str = "CGENERAL",
        team: str = TEAM_ID,
    ) -> Answer:
        return await self.post(self.command_body(command, text, user, channel, team))

    async def interaction(self, payload: dict[str, Any]) -> Answer:
        return await self.post(urlencode({"payload": json.dumps(payload)}))

    async def event(
        self,
        event: dict[str, Any],
        event_id: str | None = None,
        retry: int | None = None,
        team: str = TEAM_ID,
    ) -> Answer:
        body = {
            "token": "verification-token-unused",
            "team_id": team,
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
            "event": event,
        }
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(
            json.dumps(body), "application/json", headers=headers if retry else None
        )


@dataclass
class SlackWorld:
    fake: FakeSlack
    runtime: SlackRuntime
    store: Store
    slack: SlackDriver

    async def settle(self) -> None:
        """Wait for the work started after the acks (posts, DMs, uploads) to finish."""
        async with asyncio.timeout(10):
            await self.runtime.adapter.background.idle()

    async def kudos(self) -> list[Kudos]:
        """Every kudos stored in the workspace's community, oldest first."""
        async with self.store.uow() as uow:
            found = await uow.kudos.between(
                COMMUNITY, datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
            )
        return sorted(found, key=lambda k: k.id or 0)

    async def kudos_count(self) -> int:
        async with self.store.engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(t.kudos)) or 0)

    async def community(self) -> Community | None:
        async with self.store.uow() as uow:
            return await uow.communities.get(COMMUNITY)


def settings_for(fake: FakeSlack, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_base_url": fake.api_url,
        "host": "127.0.0.1",
        "port": 0,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running(settings: Settings, store: Store) -> AsyncIterator[SlackRuntime]:
    """The runtime bootstrap builds, serving (and posting digests, as `run` wires it)."""
    runtime = cast(SlackRuntime, await bootstrap._slack_runtime(settings, store))
    store.digests.poster.add(runtime.platform, runtime.poster)
    task = asyncio.create_task(runtime.serve())
    try:
        async with asyncio.timeout(10):
            started = asyncio.create_task(runtime.started.wait())
            await asyncio.wait({started, task}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                started.cancel()
                task.result()  # raises why it stopped
        yield runtime
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@asynccontextmanager
async def slack_world(
    fake: FakeSlack, database_url: str, **overrides: Any
) -> AsyncIterator[SlackWorld]:
    settings = settings_for(fake, database_url, **overrides)
    async with bootstrap.open_store(settings) as store, running(settings, store) as runtime:
        yield SlackWorld(
            fake, runtime, store, SlackDriver(f"http://127.0.0.1:{runtime.http.port}", fake)
        )


__all__ = ["APP_TOKEN", "SIGNING_SECRET", "SlackWorld", "slack_world"]
