"""SIGKILL at random points while a bot process posts 100 due digests to the fake Slack, then
a restart, again and again: every digest ends posted, and the number posted twice is counted
and reported.

A kill after Slack took a post and before the bot recorded it leaves a claim that looks
unposted: like Slack, the fake finishes a call whose caller died, so every post in flight at
a kill (up to the runner's 16 at once) is in that window. When the claim runs out, the
process taking it over first reads the channel's history for the post's metadata and posts
only when it is not there; a restart never posts again what was recorded. A post only starts
while its claim's lease has time for it, so no post is still under way when a take-over looks.

KILL_DIGESTS (100), KILL_SEED (7), KILL_DATABASE (postgres | sqlite), KILL_POST_SECONDS
(0.9: until Slack has the post) and KILL_ANSWER_SECONDS (0.1: until its answer is back)
resize or vary it.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import open_store
from bot.domain import Community
from bot.settings import Settings
from storage import tables as t
from tests.databases import sqlite_url, temporary_postgres
from tests.faults.bot_process import bot_environment, bot_process, free_port
from tests.faults.flaky_platforms import SlowSlack
from tests.slack.harness import populate
from tests.stress.report import report

DIGESTS = int(os.environ.get("KILL_DIGESTS", "100"))
SEED = int(os.environ.get("KILL_SEED", "7"))
DATABASE = os.environ.get("KILL_DATABASE", "postgres")
LEASE_SECONDS = 4.0  # a killed process's claims are taken over after this
POST_TIMEOUT_SECONDS = 1.5  # a post takes 1 s here; a claim starts one only with this left
POST_SECONDS = float(os.environ.get("KILL_POST_SECONDS", "0.9"))
ANSWER_SECONDS = float(os.environ.get("KILL_ANSWER_SECONDS", "0.1"))
MAX_ROUNDS = 40


@asynccontextmanager
async def database(tmp_path: Path) -> AsyncIterator[str]:
    if DATABASE == "sqlite":
        yield sqlite_url(tmp_path)
        return
    async with temporary_postgres() as url:
        yield url


async def seed(url: str) -> list[str]:
    """DIGESTS Slack communities whose weekly digest fell due two minutes ago."""
    due = (datetime.now(UTC) - timedelta(minutes=2)).replace(second=0, microsecond=0)
    channels = [f"CKILL{i:03d}" for i in range(DIGESTS)]
    async with open_store(Settings(database_url=url)) as store, store.uow() as uow:
        for i, channel in enumerate(channels):
            await uow.communities.save(
                Community(
                    f"slack:TKILL{i:03d}",
                    digest_channel=channel,
                    digest_weekday=due.weekday(),
                    digest_time=f"{due:%H:%M}",
                    next_digest_due_at=due,
                )
            )
        await uow.commit()
    return channels


async def statuses(url: str) -> Counter[str]:
    async with (
        open_store(Settings(database_url=url), migrate=False) as store,
        store.engine.connect() as connection,
    ):
        rows = await connection.execute(select(t.digests.c.status))
        return Counter(str(r[0]) for r in rows)


@pytest.mark.timeout(900)
async def test_every_digest_is_posted_despite_kills_and_doubles_are_counted(
    tmp_path: Path,
) -> None:
    rng = random.Random(SEED)
    slack = SlowSlack()
    populate(slack)
    slack.slow["chat.postMessage"] = POST_SECONDS
    slack.slow_answer["chat.postMessage"] = ANSWER_SECONDS
    await slack.start()
    command = ("-m", "tests.stress.digest_process", str(LEASE_SECONDS), str(POST_TIMEOUT_SECONDS))
    started = time.monotonic()
    try:
        async with database(tmp_path) as url:
            channels = await seed(url)
            env = bot_environment(url, slack, None, free_port(), SCHEDULER_TICK_SECONDS="0.2")

            def posted() -> Counter[str]:
                return Counter(str(c.args["channel"]) for c in slack.posted())

            kills = 0
            while len(posted()) < DIGESTS and kills < MAX_ROUNDS:
                calls_before = len(slack.calls_to("chat.postMessage"))
                async with bot_process(env, tmp_path, command) as bot:
                    # Once this process is posting (or its claims' leases have run out and
                    # nothing is left to post), at a random point of its work.
                    give_up = time.monotonic() + LEASE_SECONDS + 10
                    while (  # noqa: ASYNC110 (polling the fake and the clock)
                        len(slack.calls_to("chat.postMessage")) == calls_before
                        and len(posted()) < DIGESTS
                        and time.monotonic() < give_up
                    ):
                        await asyncio.sleep(0.05)
                    await asyncio.sleep(rng.uniform(0.0, 2 * POST_SECONDS))
                    await bot.stop(signal.SIGKILL)
                kills += 1
            async with bot_process(env, tmp_path, command) as bot:  # the last, undisturbed
                async with asyncio.timeout(120):
                    while len(posted()) < DIGESTS:  # noqa: ASYNC110
                        await asyncio.sleep(0.2)
                await asyncio.sleep(2 * LEASE_SECONDS)  # a claim retaken would post again now
                code, _ = await bot.stop()
            assert code == 0, bot.log[-2000:]
            stored = await statuses(url)
    finally:
        await slack.stop()

    counts = posted()
    doubled = sorted(c for c, n in counts.items() if n > 1)
    report(
        "kill test",
        database=DATABASE,
        digests=DIGESTS,
        kills=kills,
        posted=len(counts),
        posted_twice=len(doubled),
        history_look_ups=len(slack.calls_to("conversations.history")),
        seed=SEED,
        post_seconds=POST_SECONDS,
        answer_seconds=ANSWER_SECONDS,
        seconds=round(time.monotonic() - started, 1),
    )
    assert set(counts) == set(channels)  # every digest ended posted
    assert stored == {"posted": DIGESTS}
    assert kills >= 3, "the kills came too late to interrupt anything"
    # A post in flight at a kill lands all the same; the process that takes the claim over
    # finds it in the channel's history instead of posting again. Only a post that lands
    # after that look-up (slower than the lease) could still be doubled.
    assert len(doubled) <= 1, doubled
