"""Digest build time against the size of the kudos history.

A community of 10,000 members whose last three weeks hold the same kudos in every run (the
digest's week and the 14 days before it, which the one-way share needs); only the older
history grows, from 1,000,000 to 10,000,000 kudos. The build must read only the recent rows
through indexes, so its time should not grow with the history: the 10M/1M ratio stays
near 1. Rows are generated inside the database (generate_series on PostgreSQL, a recursive
CTE on SQLite), indexes rebuilt after.

    python -m bench.digest_build [--sizes 1000000,10000000] [--backends sqlite,postgresql]
                                 [--week-kudos 5000] [--repeat 7]

Under `python -m bench` (`make bench`) the sizes and backends come from BENCH_DIGEST_SIZES and
BENCH_DIGEST_BACKENDS. The 10M SQLite seed takes about 1.5 minutes and 3 GB of disk on a
2-core machine. Exits non-zero when a build counts a different number of kudos than seeded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import Store, open_store
from bot.digest.builder import build_digest
from bot.domain import Community
from bot.settings import Settings
from storage.engine import create_engine, is_sqlite

COMMUNITY = "bench:community"
MEMBERS = 10_000
OFFERS = 1_000
DUE = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
WEEK_START = DUE - timedelta(days=7)
RECENT_START = WEEK_START - timedelta(days=14)  # the one-way share looks 14 days back
HISTORY_START = RECENT_START - timedelta(days=4 * 365)
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
INDEXES = {
    "ix_kudos_community_created": "kudos (community_id, created_at)",
    "ix_kudos_community_giver_created": "kudos (community_id, giver_id, created_at)",
    "ix_kudos_recipients_member": "kudos_recipients (community_id, recipient_id, created_at)",
    "ix_kudos_recipients_community_created": "kudos_recipients (community_id, created_at)",
}


@dataclass(frozen=True)
class Result:
    backend: str
    history: int
    median_ms: float
    best_ms: float
    week_kudos: int
    seed_seconds: float


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def _kudos_sql(backend: str, first: int, count: int, start: datetime, end: datetime) -> str:
    """Kudos first..first+count-1, evenly spread over [start, end); giver and recipient
    are distinct members; one in three is unprompted."""
    span = _seconds(end) - _seconds(start)
    if backend == "postgresql":
        return f"""
        INSERT INTO kudos (id, community_id, giver_id, reason, tags, unprompted, hidden,
                           created_at)
        SELECT g, '{COMMUNITY}', 'm' || ((g * 7919) % {MEMBERS}),
               'for helping with task ' || g, '', g % 3 = 0, false,
               to_timestamp({_seconds(start)} + (g - {first})::bigint * {span} / {count})
                 AT TIME ZONE 'UTC'
        FROM generate_series({first}::bigint, {first + count - 1}) AS g"""
    return f"""
        WITH RECURSIVE seq(g) AS (SELECT {first} UNION ALL SELECT g + 1 FROM seq
                                  WHERE g < {first + count - 1})
        INSERT INTO kudos (id, community_id, giver_id, reason, tags, unprompted, hidden,
                           created_at)
        SELECT g, '{COMMUNITY}', 'm' || ((g * 7919) % {MEMBERS}),
               'for helping with task ' || g, '', g % 3 = 0, 0,
               strftime('%Y-%m-%d %H:%M:%S',
                        {_seconds(start)} + (g - {first}) * {span} / {count},
                        'unixepoch') || '.000000'
        FROM seq"""


RECIPIENTS_SQL = f"""
    INSERT INTO kudos_recipients (kudos_id, recipient_id, position, community_id, created_at)
    SELECT id, 'm' || (((id * 7919) % {MEMBERS} + 1 + id % {MEMBERS - 1}) % {MEMBERS}),
           0, community_id, created_at
    FROM kudos"""


async def _seed(url: str, history: int, week_kudos: int) -> float:
    # Its own engine: bulk statements run for minutes, past the service's statement timeout.
    long_running = {} if is_sqlite(url) else {"connect_args": {"command_timeout": 3600}}
    engine = create_engine(url, **long_running)
    try:
        return await _generate(engine, history, week_kudos)
    finally:
        await engine.dispose()


async def _generate(engine: AsyncEngine, history: int, week_kudos: int) -> float:
    backend = engine.dialect.name
    started = time.perf_counter()
    recent = 3 * week_kudos
    async with engine.begin() as conn:
        run = conn.exec_driver_sql
        if backend == "sqlite":
            for pragma in ("cache_size=-1000000",):  # 1 GB: index builds sort in memory
                await run(f"PRAGMA {pragma}")
        else:
            await run("SET LOCAL synchronous_commit = off")
            await run("SET LOCAL maintenance_work_mem = '512MB'")
        for name in INDEXES:
            await run(f"DROP INDEX {name}")
        now = "'2026-01-01 00:00:00.000000'"
        await run(
            "INSERT INTO communities (id, digest_weekday, digest_time, timezone, paused, "
            f"daily_kudos_limit, min_reason_length) VALUES ('{COMMUNITY}', 0, '09:00', "
            "'UTC', false, 10, 10)"
        )
        seq = (
            f"generate_series(0, {MEMBERS - 1}) AS g"
            if backend == "postgresql"
            else f"(WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s "
            f"WHERE g < {MEMBERS - 1}) SELECT g FROM s)"
        )
        await run(
            "INSERT INTO members (community_id, member_id, display_name, is_bot, is_admin, "
            f"opted_out, first_seen_at) SELECT '{COMMUNITY}', 'm' || g, 'Member ' || g, "
            f"false, false, g % 100 = 0, {now if backend == 'sqlite' else 'now()'} FROM {seq}"
        )
        old = history - recent
        await run(_kudos_sql(backend, 1, old, HISTORY_START, RECENT_START))
        await run(_kudos_sql(backend, old + 1, recent, RECENT_START, DUE))
        await run(RECIPIENTS_SQL)
        for name, columns in INDEXES.items():
            await run(f"CREATE INDEX {name} ON {columns}")
        offer_seq = seq.replace(str(MEMBERS - 1), str(OFFERS - 1))
        created = (
            f"strftime('%Y-%m-%d %H:%M:%S', {_seconds(DUE)} - (g + 1) * 2000, 'unixepoch') "
            "|| '.000000'"
            if backend == "sqlite"
            else f"to_timestamp({_seconds(DUE)} - (g + 1) * 2000) AT TIME ZONE 'UTC'"
        )
        expires = (
            f"strftime('%Y-%m-%d %H:%M:%S', {_seconds(DUE)} + 86400 * 20, 'unixepoch') || '.000000'"
            if backend == "sqlite"
            else f"to_timestamp({_seconds(DUE)} + 86400 * 20) AT TIME ZONE 'UTC'"
        )
        await run(
            "INSERT INTO offers (community_id, owner_id, text, search_text, created_at, "
            f"expires_at) SELECT '{COMMUNITY}', 'm' || ((g * 31) % {MEMBERS}), "
            f"'I can help with topic ' || g, 'i can help with topic ' || g, {created}, "
            f"{expires} FROM {offer_seq}"
        )
        if backend == "postgresql":
            await run(f"SELECT setval('kudos_id_seq', {history})")
    async with engine.connect() as conn:
        if backend == "postgresql":
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()
    return time.perf_counter() - started


async def _time_builds(store: Store, repeat: int) -> tuple[list[float], int]:
    community = Community(COMMUNITY)
    timings: list[float] = []
    counted = -1
    for attempt in range(repeat + 1):
        started = time.perf_counter()
        async with store.uow() as uow:
            built = await build_digest(uow, community, WEEK_START, DUE)
        elapsed = time.perf_counter() - started
        if attempt:  # the first run warms caches and connections
            timings.append(elapsed)
        counted = built.digest.kudos_count
    return timings, counted


@asynccontextmanager
async def _database(backend: str, keep: bool) -> AsyncIterator[str | None]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-digest-") as directory:
            yield f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        return
    import asyncpg

    try:
        admin = await asyncpg.connect(PG_ADMIN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"  postgresql: skipped, the server is not answering ({exc})")
        yield None
        return
    name = f"bench_digest_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        yield f"{base}/{name}"
    finally:
        if not keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def measure(
    backend: str,
    history: int,
    week_kudos: int,
    repeat: int,
    keep: bool,
    random_page_cost: float | None = None,
) -> Result | None:
    async with _database(backend, keep) as url:
        if url is None:
            return None
        async with open_store(Settings(database_url=url)) as store:
            seeded = await _seed(url, history, week_kudos)
            if random_page_cost is not None and store.engine.dialect.name == "postgresql":
                async with store.engine.connect() as conn:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    database = url.rsplit("/", 1)[1]
                    await conn.exec_driver_sql(
                        f'ALTER DATABASE "{database}" SET random_page_cost = {random_page_cost}'
                    )
                await store.engine.dispose()  # new connections pick the setting up
            timings, counted = await _time_builds(store, repeat)
    if counted != week_kudos:
        raise SystemExit(
            f"{backend} {history:,}: the digest counted {counted} kudos, {week_kudos} seeded"
        )
    return Result(
        backend="postgresql" if backend != "sqlite" else "sqlite",
        history=history,
        median_ms=statistics.median(timings) * 1000,
        best_ms=min(timings) * 1000,
        week_kudos=counted,
        seed_seconds=seeded,
    )


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.digest_build", description=__doc__)
    parser.add_argument(
        "--sizes",
        default=os.environ.get("BENCH_DIGEST_SIZES", "1000000,10000000"),
        help="kudos of history, comma-separated; the first is the baseline",
    )
    parser.add_argument(
        "--backends", default=os.environ.get("BENCH_DIGEST_BACKENDS", "sqlite,postgresql")
    )
    parser.add_argument("--week-kudos", type=int, default=5_000, help="kudos in the week")
    parser.add_argument("--repeat", type=int, default=7, help="timed builds per size")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL databases")
    parser.add_argument(
        "--pg-random-page-cost",
        type=float,
        default=None,
        help="PostgreSQL planner setting for the run (1.1 suits SSDs; default: the server's)",
    )
    return parser.parse_args(argv)


async def run(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",") if s.strip()]
    tuning = (
        f", PostgreSQL random_page_cost={args.pg_random_page_cost:g}"
        if args.pg_random_page_cost is not None
        else ""
    )
    print(
        f"digest build: {MEMBERS:,} members, {args.week_kudos:,} kudos in the week, "
        f"median of {args.repeat} builds{tuning}"
    )
    for backend in (b.strip() for b in args.backends.split(",") if b.strip()):
        results: list[Result] = []
        for size in sizes:
            result = await measure(
                backend, size, args.week_kudos, args.repeat, args.keep, args.pg_random_page_cost
            )
            if result is None:
                break
            results.append(result)
            print(
                f"  {result.backend:<10} history {size:>12,}: median {result.median_ms:7.1f} ms "
                f"(best {result.best_ms:.1f} ms; seeded in {result.seed_seconds:.0f} s)",
                flush=True,
            )
        if len(results) > 1:
            base = results[0]
            for other in results[1:]:
                print(
                    f"  {base.backend:<10} ratio {other.history:,}/{base.history:,}: "
                    f"{other.median_ms / base.median_ms:.2f}"
                )
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
