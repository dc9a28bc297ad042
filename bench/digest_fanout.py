"""Digest fan-out: 5,000 communities whose digests fall due in the same minute, posted by
`python -m bot run` (Slack, a SQLite file or PostgreSQL) through a fake Slack that enforces
one message a second per channel, answers some posts with a 429 + Retry-After at random,
and takes a little while to answer each call (as the network does).

The communities (each with its own channel, ten members and a few kudos in the week) are
stored first, due now; then the app starts, and its scheduler's first tick finds them all.
The bench reports the time from start until the last digest was posted, the most posts
in flight at once, and the 429s answered. Target: every digest posted exactly once within
2 minutes. It exits non-zero when a digest is missing or was posted twice.

    python -m bench.digest_fanout [--communities 5000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.fake_slack_api import BOT_TOKEN, LeanSlack, Pacing
from bench.processes import bot_run, database
from bench.table import Figure, at_most, exit_code

COMMUNITIES = 5_000
MEMBERS = 10
KUDOS = 4
LATENCY = 0.03  # seconds the fake Slack takes to answer a call
RANDOM_429 = 0.03
TARGET_SECONDS = 120.0
WAIT_SECONDS = 240.0
SIGNING_SECRET = "bench-signing-secret-0123456789"
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def channel(n: int) -> str:
    return f"CDIGEST{n:05d}"


async def seed(url: str, count: int, due: datetime) -> None:
    """The communities, due at `due`, with members and a week of kudos each."""
    from sqlalchemy import insert

    from bot.bootstrap import open_store
    from bot.settings import Settings
    from storage import tables as t

    week = due - timedelta(days=3)
    settings = Settings(_env_file=None, database_url=url)
    async with open_store(settings) as store, store.engine.begin() as connection:  # migrated
        await connection.execute(
            insert(t.communities),
            [
                {
                    "id": f"slack:T{n:05d}",
                    "digest_channel": channel(n),
                    "digest_weekday": due.weekday(),
                    "digest_time": f"{due:%H:%M}",
                    "timezone": "UTC",
                    "paused": False,
                    "daily_kudos_limit": 10,
                    "min_reason_length": 10,
                    "next_digest_due_at": due,
                    "burst_kudos_limit": 5,
                }
                for n in range(count)
            ],
        )
        await connection.execute(
            insert(t.members),
            [
                {
                    "community_id": f"slack:T{n:05d}",
                    "member_id": f"U{m}",
                    "display_name": f"Member {m}",
                    "is_bot": False,
                    "is_admin": False,
                    "opted_out": False,
                    "first_seen_at": week,
                }
                for n in range(count)
                for m in range(MEMBERS)
            ],
        )
        kudos = [
            {
                "id": n * KUDOS + k + 1,
                "community_id": f"slack:T{n:05d}",
                "giver_id": f"U{k}",
                "reason": f"for the help with release {k} of this community",
                "tags": "teamwork",
                "unprompted": k % 2 == 0,
                "hidden": False,
                "created_at": week + timedelta(hours=k),
            }
            for n in range(count)
            for k in range(KUDOS)
        ]
        await connection.execute(insert(t.kudos), kudos)
        await connection.execute(
            insert(t.kudos_recipients),
            [
                {
                    "kudos_id": k["id"],
                    "recipient_id": f"U{(int(k['id']) % (MEMBERS - 1)) + 1}",
                    "position": 0,
                    "community_id": k["community_id"],
                    "created_at": k["created_at"],
                }
                for k in kudos
            ],
        )


async def stored_statuses(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from storage import tables as t
    from storage.engine import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(t.digests.c.status, func.count()).group_by(t.digests.c.status)
            )
            return {str(r[0]): int(r[1]) for r in rows}
    finally:
        await engine.dispose()


@dataclass
class Result:
    backend: str
    communities: int
    seconds: float  # from the app's start until the last digest was posted
    first_post_seconds: float
    peak_in_flight: int
    rate_limited: int
    posted: int
    problems: list[str]


async def measure_backend(backend: str, count: int, directory: Path) -> Result | None:
    async with database(backend, directory) as url:
        if url is None:
            return None
        due = datetime.now(UTC).replace(second=0, microsecond=0)
        await seed(url, count, due)
        fake = LeanSlack(
            pacing=Pacing(per_channel_seconds=1.0, random_429=RANDOM_429), latency=LATENCY
        )
        await fake.start()
        problems: list[str] = []
        first_post = 0.0
        try:
            env = {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_BASE_URL": fake.api_url,
            }
            started = time.perf_counter()
            async with bot_run(url, env, directory / f"fanout-{backend}.log"):
                deadline = started + WAIT_SECONDS
                while len(fake.posts) < count and time.perf_counter() < deadline:
                    if not first_post and fake.posts:
                        first_post = time.perf_counter() - started
                    await asyncio.sleep(0.05)
                elapsed = time.perf_counter() - started
                await asyncio.sleep(3.0)  # more ticks would show a double now
            posted = len(fake.posts)
            doubled = [c for c, texts in fake.posts.items() if len(texts) > 1]
            if posted < count:
                problems.append(f"LOST: {count - posted} digests not posted in {WAIT_SECONDS:g} s")
            if doubled:
                problems.append(f"DOUBLED: {len(doubled)} channels got their digest twice")
            statuses = await stored_statuses(url)
            if statuses.get("posted", 0) != count:
                problems.append(f"digests recorded as {statuses}, expected {count} posted")
            if fake.unexpected:
                problems.append(f"unexpected calls: {fake.unexpected[:5]}")
        finally:
            await fake.stop()
        return Result(
            backend,
            count,
            elapsed,
            first_post,
            fake.peak_in_flight,
            fake.rate_limited,
            posted,
            problems,
        )


@dataclass
class Outcome:
    results: list[Result]
    figures: list[Figure]
    problems: list[str]


async def measure(count: int, backends: list[str]) -> Outcome:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        for backend in backends:
            result = await measure_backend(backend, count, Path(tmp))
            if result is None:
                print(f"  {backend}: skipped, the server is not answering")
                continue
            results.append(result)
    figures = []
    for r in results:
        name = BACKEND_NAMES.get(r.backend, r.backend)
        figures.append(
            Figure(
                "digest fan-out",
                f"{name}, {r.communities:,} due: all posted after",
                r.seconds,
                "s",
                target=f"<= {TARGET_SECONDS:g} s, each once",
                check=at_most(TARGET_SECONDS) if not r.problems else (lambda f: False),
            )
        )
        figures.append(
            Figure("digest fan-out", f"{name}: peak posts in flight", r.peak_in_flight, "")
        )
    problems = [f"{r.backend}: {p}" for r in results for p in r.problems]
    return Outcome(results, figures, problems)


def print_details(outcome: Outcome) -> None:
    print(
        f"digest fan-out: the app alone in its process; the fake Slack in this one answers each "
        f"call after {LATENCY * 1000:.0f} ms, one post a second per channel, "
        f"{RANDOM_429:.0%} of posts a 429 at random"
    )
    for r in outcome.results:
        print(
            f"  {BACKEND_NAMES.get(r.backend, r.backend):<10} {r.posted:,} of {r.communities:,} "
            f"posted; the last {r.seconds:.1f} s after start (first {r.first_post_seconds:.1f} s); "
            f"peak {r.peak_in_flight} posts in flight; {r.rate_limited} answered 429"
        )


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.digest_fanout", description=__doc__)
    parser.add_argument("--communities", type=int, default=COMMUNITIES)
    parser.add_argument("--backends", default="sqlite,postgresql")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> Outcome:
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    return await measure(args.communities, backends)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    outcome = asyncio.run(run(args))
    print_details(outcome)
    return exit_code(outcome.problems)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
