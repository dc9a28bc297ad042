"""Two `smart-connections run` processes on one PostgreSQL, behind no load balancer but the
test itself: every command lands once, every digest is posted once, /metrics moves."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import socket
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import aiohttp
from sqlalchemy import func, select, update

from adapters.slack.slash_commands import WORKING_ON_IT
from bot.bootstrap import open_store
from bot.settings import Settings
from storage import tables as t
from tests.databases import temporary_postgres
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.slack.harness import SIGNING_SECRET, SlackDriver, populate

TEAMS = ("T0REPLA", "T0REPLB", "T0REPLC")
KUDOS_PER_TEAM = 12
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def replica(url: str, fake: FakeSlack, log: Path) -> AsyncIterator[str]:
    """A real `smart-connections run` process in Slack HTTP mode; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_BASE_URL": fake.api_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SCHEDULER_TICK_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    }
    for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN", "DISCORD_TOKEN"):
        env.pop(name, None)
    err = open_log(log)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, stdout=err, stderr=err
    )
    err.close()
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base, process, log)
        yield base
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()
    assert process.returncode == 0, tail(log)


def open_log(path: Path) -> IO[bytes]:
    return path.open("wb")


def tail(path: Path) -> str:
    return path.read_text()[-3000:]


async def wait_ready(base: str, process: asyncio.subprocess.Process, log: Path) -> None:
    deadline = asyncio.get_running_loop().time() + STARTUP_SECONDS
    async with aiohttp.ClientSession() as session:
        while True:
            assert process.returncode is None, tail(log)
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{base}/readyz") as r:
                    if r.status == 200:
                        return
            assert asyncio.get_running_loop().time() < deadline, "replica never became ready"
            await asyncio.sleep(0.2)


async def metric(base: str, name: str) -> float:
    async with aiohttp.ClientSession() as session, session.get(f"{base}/metrics") as r:
        text = await r.text()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_two_replicas_record_each_kudos_once_and_post_each_digest_once(
    tmp_path: Path,
) -> None:
    fake = FakeSlack()
    populate(fake)
    await fake.start()
    try:
        async with (
            temporary_postgres() as url,
            replica(url, fake, tmp_path / "a.log") as a,
            replica(url, fake, tmp_path / "b.log") as b,
        ):
            drivers = [SlackDriver(a, fake), SlackDriver(b, fake)]
            # Slack's trigger ids are unique across a workspace: so must the drivers' be.
            drivers[1]._ids = itertools.count(1_000_000)
            for i, team in enumerate(TEAMS):
                for text in (
                    f"admin digest channel <#CDIGEST{i}>",
                    "admin limit daily 0",
                    "admin limit burst 0",  # alice thanks 12 times at once
                ):
                    answer = await drivers[i % 2].command(
                        "/connections", text, user="UADMIN", team=team
                    )
                    assert answer.status == 200, answer.text
            before = await metric(a, "smart_connections_kudos_recorded_total")
            sends = [
                drivers[n % 2].command(
                    "/kudos",
                    f"<@UBOB> for replica test number {team}-{n} #unprompted",
                    user="UALICE",
                    team=team,
                )
                for team in TEAMS
                for n in range(KUDOS_PER_TEAM)
            ]
            answers = await asyncio.gather(*sends)
            assert all(x.status == 200 for x in answers), [x.text for x in answers]
            # On a loaded machine an answer may come "working on it", then by response_url.
            assert all("recorded" in x.message or x.message == WORKING_ON_IT for x in answers), [
                x.text for x in answers
            ]
            counted = 0.0
            for _ in range(100):
                after = await metric(a, "smart_connections_kudos_recorded_total")
                on_b = await metric(b, "smart_connections_kudos_recorded_total")
                counted = after - before + on_b
                if counted >= len(sends):
                    break
                await asyncio.sleep(0.1)
            assert counted == len(sends)
            assert await metric(a, "smart_connections_commands_total") > 0
            assert await metric(a, "smart_connections_database_seconds_count") > 0

            async with open_store(Settings(database_url=url), migrate=False) as store:
                async with store.engine.begin() as conn:
                    reasons = (await conn.execute(select(t.kudos.c.reason))).scalars().all()
                    assert len(reasons) == len(set(reasons)) == len(sends)
                    # Every community falls due now: both replicas tick every second.
                    await conn.execute(
                        update(t.communities).values(
                            next_digest_due_at=datetime.now(UTC) - timedelta(minutes=1)
                        )
                    )
                await wait_for_digests(fake)
                await asyncio.sleep(3)  # several more ticks of both replicas
                async with store.engine.connect() as conn:
                    posted = await conn.scalar(
                        select(func.count())
                        .select_from(t.digests)
                        .where(t.digests.c.status == "posted")
                    )
            assert posted == len(TEAMS)
            assert digest_posts(fake) == {f"CDIGEST{i}": 1 for i in range(len(TEAMS))}
            posted_metric = 'smart_connections_digests_total{late="false",status="posted"}'
            counted = await metric(a, posted_metric) + await metric(b, posted_metric)
            assert counted == len(TEAMS)
    finally:
        await fake.stop()


def digest_posts(fake: FakeSlack) -> dict[str, int]:
    counts: dict[str, int] = {}
    for call in fake.posted():
        channel = str(call.args.get("channel"))
        if re.fullmatch(r"CDIGEST\d", channel):
            counts[channel] = counts.get(channel, 0) + 1
    return counts


async def wait_for_digests(fake: FakeSlack) -> None:
    for _ in range(300):
        if len(digest_posts(fake)) == len(TEAMS):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"digests posted: {digest_posts(fake)}")
