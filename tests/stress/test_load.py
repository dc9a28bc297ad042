"""50,000 kudos from 2,000 members in 100 workspaces through the Slack HTTP path of a real
`smart-connections run`: every one recorded once (none lost, none doubled), every answer a
"recorded", every thank-you posted once; the process's memory is sampled throughout (peak
RSS reported, and it must not keep growing).

The workspaces' admins raise the limits first (daily and per-minute), as a community running
an event would. LOAD_KUDOS, LOAD_COMMUNITIES, LOAD_MEMBERS, LOAD_CONCURRENCY and
LOAD_DATABASE (postgres | sqlite) resize it; the throughput is reported.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qs

import aiohttp
import pytest
from sqlalchemy import func, select

from adapters.slack.slash_commands import WORKING_ON_IT
from bot.bootstrap import open_store
from bot.settings import Settings
from storage import tables as t
from tests.databases import sqlite_url, temporary_postgres
from tests.faults.bot_process import BotProcess, bot_environment, bot_process, free_port
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import Answer, SlackDriver, sign
from tests.stress.report import report

KUDOS = int(os.environ.get("LOAD_KUDOS", "50000"))
COMMUNITIES = int(os.environ.get("LOAD_COMMUNITIES", "100"))
MEMBERS = int(os.environ.get("LOAD_MEMBERS", "2000"))
CONCURRENCY = int(os.environ.get("LOAD_CONCURRENCY", "32"))
DATABASE = os.environ.get("LOAD_DATABASE", "postgres")
PER_COMMUNITY = MEMBERS // COMMUNITIES
SAMPLE_SECONDS = 0.5
MAX_GROWTH_MIB = 64.0


def team(c: int) -> str:
    return f"TLOAD{c:03d}"


def member(c: int, m: int) -> str:
    return f"UL{c:03d}M{m:03d}"


def admin(c: int) -> str:
    return f"UL{c:03d}ADMIN"


@asynccontextmanager
async def database(tmp_path: Path) -> AsyncIterator[str]:
    if DATABASE == "sqlite":
        yield sqlite_url(tmp_path)
        return
    async with temporary_postgres() as url:
        yield url


class Memory:
    """The bot process's resident memory, sampled from /proc while the load runs."""

    def __init__(self, pid: int) -> None:
        self._status = Path(f"/proc/{pid}/status")
        self.samples: list[tuple[int, int]] = []  # (kudos answered so far, RSS in KiB)

    def field(self, name: str) -> int:
        for line in self._status.read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
        raise AssertionError(f"no {name} in {self._status}")

    async def sample(self, progress: list[int]) -> None:
        while True:
            self.samples.append((progress[0], self.field("VmRSS")))
            await asyncio.sleep(SAMPLE_SECONDS)

    def at(self, fraction: float) -> int:
        """RSS (KiB) when `fraction` of the kudos had been answered."""
        return next(rss for done, rss in self.samples if done >= fraction * KUDOS)


class Client:
    """Signed slash commands over one connection pool, as Slack sends them."""

    def __init__(self, bot: BotProcess, fake: FakeSlack, session: aiohttp.ClientSession) -> None:
        self.driver = SlackDriver(bot.url, fake)
        self.fake = fake
        self.session = session

    async def command(self, name: str, text: str, user: str, c: int, channel: str) -> str:
        body = self.driver.command_body(name, text, user, channel, team(c))
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": sign(body, stamp),
        }
        async with self.session.post(
            f"{self.driver.url}/slack/events", data=body.encode(), headers=headers
        ) as response:
            answer = Answer(response.status, await response.text(), response.content_type)
        assert answer.status == 200, answer
        if answer.message != WORKING_ON_IT:
            return answer.message
        # Slow moment: the answer follows through the response URL.
        response_id = parse_qs(body)["response_url"][0].rsplit("/", 1)[1]
        async with asyncio.timeout(60):
            while True:
                for rid, late in self.fake.responses:
                    if rid == response_id and late.get("text") != WORKING_ON_IT:
                        return str(late.get("text"))
                await asyncio.sleep(0.05)


@pytest.mark.timeout(3600)
async def test_fifty_thousand_kudos_through_slack(tmp_path: Path) -> None:
    fake = FakeSlack()
    for c in range(COMMUNITIES):
        fake.add_user(admin(c), f"Admin {c}", is_admin=True)
        for m in range(PER_COMMUNITY):
            fake.add_user(member(c, m), f"Member {c}-{m}")
    await fake.start()
    try:
        async with database(tmp_path) as url:
            env = bot_environment(url, fake, None, free_port(), LOG_LEVEL="WARNING")
            async with (
                bot_process(env, tmp_path) as bot,
                aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=CONCURRENCY),
                    timeout=aiohttp.ClientTimeout(total=120),
                ) as session,
            ):
                figures = await load(Client(bot, fake, session), bot)
                code, _ = await bot.stop()
            assert code == 0, bot.log[-2000:]
            async with (
                open_store(Settings(database_url=url), migrate=False) as store,
                store.engine.connect() as connection,
            ):
                stored = int(await connection.scalar(select(func.count()).select_from(t.kudos)))
                deliveries = await connection.execute(
                    select(t.kudos.c.delivery_id, func.count()).group_by(t.kudos.c.delivery_id)
                )
                per_delivery = Counter(int(n) for _, n in deliveries)
    finally:
        await fake.stop()

    public = Counter(
        c.args["text"].rsplit("#", 1)[-1]
        for c in fake.posted()
        if str(c.args["channel"]).startswith("CL")
    )
    report("load test", database=DATABASE, kudos_stored=stored, **figures)
    assert stored == KUDOS  # none lost...
    assert per_delivery == {1: KUDOS}  # ...none doubled
    assert len(public) == KUDOS and set(public.values()) == {1}  # each thank-you posted once
    assert figures["error_replies"] == 0
    # Flat: after the first fifth (caches filled, pools opened), memory stops growing.
    growth = float(figures["rss_mib_at_end"]) - float(figures["rss_mib_at_20_percent"])  # type: ignore[arg-type]
    assert growth < MAX_GROWTH_MIB, figures


async def load(client: Client, bot: BotProcess) -> dict[str, object]:
    for c in range(COMMUNITIES):  # the admins raise the limits for the event
        for setting in ("limit daily 0", "limit burst 0"):
            answer = await client.command("/connections", f"admin {setting}", admin(c), c, "CADM")
            assert "off" in answer, answer
    memory = Memory(bot.process.pid)
    progress = [0]
    sampler = asyncio.create_task(memory.sample(progress))
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(KUDOS):
        queue.put_nowait(i)
    errors: list[str] = []
    slow = 0

    async def worker() -> None:
        nonlocal slow
        while not queue.empty():
            i = queue.get_nowait()
            c, giver = i % COMMUNITIES, (i // COMMUNITIES) % PER_COMMUNITY
            to = (giver + 1 + i % (PER_COMMUNITY - 1)) % PER_COMMUNITY
            answer = await client.command(
                "/kudos",
                f"<@{member(c, to)}> for the help with load test item #{i}",
                member(c, giver),
                c,
                f"CL{c:03d}M{giver:03d}",  # each giver posts in a channel of their own
            )
            if "is recorded" not in answer:
                errors.append(answer)
            slow += answer == WORKING_ON_IT
            progress[0] += 1

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    seconds = time.monotonic() - started
    sampler.cancel()
    async with asyncio.timeout(600):  # the thank-yous and DMs still going out
        while len(client.fake.posted()) < 2 * KUDOS:  # noqa: ASYNC110
            await asyncio.sleep(0.5)
    peak = memory.field("VmHWM")
    return {
        "kudos_sent": KUDOS,
        "communities": COMMUNITIES,
        "members": MEMBERS,
        "concurrency": CONCURRENCY,
        "seconds": round(seconds, 1),
        "kudos_per_second": round(KUDOS / seconds, 1),
        "error_replies": len(errors),
        "first_errors": errors[:3],
        "peak_rss_mib": round(peak / 1024, 1),
        "rss_mib_at_20_percent": round(memory.at(0.2) / 1024, 1),
        "rss_mib_at_end": round(memory.samples[-1][1] / 1024, 1),
    }
