"""The database goes away for 30 s under a running `smart-connections run` (Slack and
Discord against the fakes): PostgreSQL stopped (a proxy in front of it refuses and resets
every connection; the shared server itself is never touched) and SQLite locked (another
connection holds its write lock). Meanwhile every command is answered with a friendly
"try again" within the platforms' 3-second deadline; the process stays up and recovers by
itself; the digest that fell due meanwhile is posted after recovery, once.

FAULT_OUTAGE_SECONDS shortens the outage for a quick local run (default 30).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from adapters.slack.slash_commands import WORKING_ON_IT
from bot.bootstrap import open_store
from bot.service import TRY_AGAIN
from bot.settings import Settings
from tests.databases import PG_HOST, PG_PORT, sqlite_url, temporary_postgres
from tests.discord import payloads as p
from tests.discord.fake_discord import APP_ID, FakeDiscord
from tests.discord.harness import World, make_world
from tests.faults.bot_process import (
    BotProcess,
    bot_environment,
    bot_process,
    discord_connected,
    free_port,
)
from tests.faults.tcp_proxy import TcpProxy
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import COMMUNITY, SlackDriver, populate

OUTAGE_SECONDS = float(os.environ.get("FAULT_OUTAGE_SECONDS", "30"))
PROBE_EVERY_SECONDS = 5.0
DEADLINE_SECONDS = 3.0  # Slack and Discord both give up on an answer after 3 s
RECOVERY_SECONDS = 30.0
DISCORD_TOKEN = "ODk5NjQ1.outage-test.discord-token"


@dataclass
class Answer:
    platform: str
    text: str
    acked: float  # seconds until the platform got its acknowledgement
    answered: float  # seconds until the member saw the answer


@dataclass
class Scenario:
    name: str
    bot: BotProcess
    slack: FakeSlack
    discord: FakeDiscord
    world: World
    direct_url: str  # the database, not through the fault
    cut: Callable[[], Awaitable[None]]
    restore: Callable[[], Awaitable[None]]
    during: list[Answer] = field(default_factory=list)
    _n: int = 0

    def next_channel(self) -> str:
        self._n += 1
        return f"COUTAGE{self._n}"

    async def slack_kudos(self) -> Answer:
        driver = SlackDriver(self.bot.url, self.slack)
        body = driver.command_body(
            "/kudos", "<@UBOB> for the help with the release notes", "UALICE", self.next_channel()
        )
        response_id = parse_qs(body)["response_url"][0].rsplit("/", 1)[1]
        started = time.monotonic()
        answer = await driver.post(body)
        acked = time.monotonic() - started
        text = answer.message
        if text == WORKING_ON_IT:  # the answer follows through the response URL
            async with asyncio.timeout(60):
                while not (late := [b for i, b in self.slack.responses if i == response_id]):  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            text = str(late[0].get("text"))
        return Answer("slack", text, acked, time.monotonic() - started)

    async def discord_kudos(self) -> Answer:
        w = self.world
        data = p.slash(
            "kudos",
            p.member("member", w.bob),
            p.text("reason", "for the help with the release notes"),
            resolved_data=p.resolved(members=[w.bob]),
        )
        payload = self.discord.interaction(w.guild, w.alice, data, channel=w.general)
        started = time.monotonic()
        await self.discord.send_interaction(payload)
        await self.discord.wait_for(
            lambda r: r.path.endswith("/callback") and payload["token"] in r.path, within=60
        )
        acked = time.monotonic() - started
        webhook = f"/webhooks/{APP_ID}/{payload['token']}"
        answer = await self.discord.wait_for(lambda r: r.path == webhook, within=60)
        return Answer("discord", str(answer.json["content"]), acked, time.monotonic() - started)

    async def kudos_count(self) -> int:
        async with (
            open_store(Settings(database_url=self.direct_url), migrate=False) as store,
            store.uow() as uow,
        ):
            slack = await uow.kudos.recent(COMMUNITY, 1000)
            discord = await uow.kudos.recent(self.world.community_id, 1000)
        return len(slack) + len(discord)

    async def digest_due_in(self, seconds: float) -> None:
        async with (
            open_store(Settings(database_url=self.direct_url), migrate=False) as store,
            store.uow() as uow,
        ):
            community = await uow.communities.get(COMMUNITY)
            assert community is not None
            due = datetime.now(UTC) + timedelta(seconds=seconds)
            await uow.communities.save(replace(community, next_digest_due_at=due))
            await uow.commit()

    def digests_posted(self) -> int:
        return len([c for c in self.slack.posted() if c.args["channel"] == "CDIGEST"])


@asynccontextmanager
async def scenario(name: str, tmp_path: Path) -> AsyncIterator[Scenario]:
    async with AsyncExitStack() as stack:
        slack, discord = FakeSlack(), FakeDiscord(DISCORD_TOKEN)
        populate(slack)
        world = make_world(discord)
        await slack.start()
        stack.push_async_callback(slack.stop)
        await discord.start()
        stack.push_async_callback(discord.close)
        if name == "sqlite":
            direct = bot_url = sqlite_url(tmp_path)
            lock = SqliteLock(Path(direct.split("///", 1)[1]))
            cut, restore = lock.hold, lock.release
            stack.callback(lock.release_now)
        else:
            direct = await stack.enter_async_context(temporary_postgres())
            proxy = TcpProxy(PG_HOST, PG_PORT)
            await proxy.start()
            stack.push_async_callback(proxy.close)
            bot_url = direct.replace(f"{PG_HOST}:{PG_PORT}", f"127.0.0.1:{proxy.port}")
            cut, restore = proxy.cut, proxy.restore
        env = bot_environment(bot_url, slack, discord, free_port())
        bot = await stack.enter_async_context(bot_process(env, tmp_path))
        await discord_connected(discord)
        yield Scenario(name, bot, slack, discord, world, direct, cut, restore)


class SqliteLock:
    """Another connection holding the SQLite file's write lock (BEGIN EXCLUSIVE)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None

    async def hold(self) -> None:
        self._connection = sqlite3.connect(self._path, isolation_level=None, timeout=10)
        self._connection.execute("BEGIN EXCLUSIVE")

    async def release(self) -> None:
        self.release_now()

    def release_now(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.rollback()
            connection.close()


async def recovered(s: Scenario) -> None:
    """Commands work again, on both platforms, without anyone restarting anything."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    for probe in (s.slack_kudos, s.discord_kudos):
        while "recorded" not in (answer := await probe()).text:
            assert answer.text == TRY_AGAIN, answer
            assert time.monotonic() < deadline, f"{s.name}: not recovered"
            await asyncio.sleep(1)


async def run_outage(s: Scenario) -> None:
    await s.bot.wait_healthy()
    driver = SlackDriver(s.bot.url, s.slack)
    answer = await driver.command(
        "/connections", "admin digest channel <#CDIGEST|digest>", user="UADMIN"
    )
    assert "CDIGEST" in answer.message, answer.message
    before = await s.kudos_count()
    await s.digest_due_in(2.0)  # falls due during the outage

    await s.cut()
    started = time.monotonic()
    while time.monotonic() - started < OUTAGE_SECONDS - DEADLINE_SECONDS:
        s.during += await asyncio.gather(s.slack_kudos(), s.discord_kudos())
        assert s.bot.alive(), s.bot.log[-2000:]
        await asyncio.sleep(max(0.0, PROBE_EVERY_SECONDS - DEADLINE_SECONDS))
    await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - started)))
    await s.restore()

    await recovered(s)
    assert await s.bot.healthy()
    async with asyncio.timeout(RECOVERY_SECONDS):
        while s.digests_posted() == 0:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    await asyncio.sleep(2)  # a few more ticks: a second post would show now
    assert s.digests_posted() == 1
    assert await s.kudos_count() == before + 2  # the two made after recovery, nothing else
    code, _ = await s.bot.stop()
    assert code == 0, s.bot.log[-2000:]


def check_answers(s: Scenario) -> None:
    assert len(s.during) >= 2, f"{s.name}: no command was tried during the outage"
    for answer in s.during:
        assert answer.text == TRY_AGAIN, f"{s.name}: {answer}"
        assert answer.acked < DEADLINE_SECONDS, f"{s.name}: acknowledged late: {answer}"
        assert answer.answered < DEADLINE_SECONDS, f"{s.name}: answered late: {answer}"


@pytest.mark.timeout(OUTAGE_SECONDS + 150)
async def test_a_30_second_database_outage_is_ridden_out_on_both_databases(
    tmp_path: Path,
) -> None:
    """Both databases at once: the outages overlap, so the suite waits 30 s, not 60."""
    for name in ("sqlite", "postgres"):
        (tmp_path / name).mkdir()
    async with (
        scenario("sqlite", tmp_path / "sqlite") as on_sqlite,
        scenario("postgres", tmp_path / "postgres") as on_postgres,
    ):
        results = await asyncio.gather(
            run_outage(on_sqlite), run_outage(on_postgres), return_exceptions=True
        )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    check_answers(on_sqlite)
    check_answers(on_postgres)
