"""The store's direct path (storage/sqlite_writer.py, storage/postgres.py): what members
would notice if it went wrong — a kudos lost or recorded twice across processes, a bot
frozen while another process holds the database, a failed command leaving the store stuck.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.bootstrap import Store, open_store
from bot.domain import Community
from bot.errors import StoreUnavailableError
from bot.settings import Settings
from storage import tables as t
from storage.compiled import Prepared
from tests.databases import sqlite_url

ROOT = Path(__file__).resolve().parents[2]


async def kudos_count(store: Store) -> tuple[int, int]:
    """(kudos stored, distinct delivery ids among them)."""
    async with store.engine.connect() as conn:
        row = (
            await conn.execute(
                select(func.count(), func.count(func.distinct(t.kudos.c.delivery_id)))
            )
        ).one()
    return int(row[0]), int(row[1])


async def give_kudos_in_a_process(url: str, first: int, last: int) -> dict[str, object]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.storage.kudos_process",
        url,
        str(first),
        str(last),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()[-3000:]
    answer: dict[str, object] = json.loads(stdout.decode().strip().splitlines()[-1])
    return answer


@pytest.mark.timeout(90)
async def test_two_processes_record_every_kudos_once(store: Store, database_url: str) -> None:
    # Deliveries 100-199 reach both processes at once (Slack retrying to another replica).
    a, b = await asyncio.gather(
        give_kudos_in_a_process(database_url, 0, 200),
        give_kudos_in_a_process(database_url, 100, 300),
    )
    assert a["other"] == [] and b["other"] == [], (a, b)
    assert a["recorded"] + b["recorded"] == 300  # type: ignore[operator]
    assert a["twice"] + b["twice"] == 100  # type: ignore[operator]
    assert await kudos_count(store) == (300, 300)


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[tuple[Store, str]]:
    url = sqlite_url(tmp_path)
    async with open_store(Settings(_env_file=None, database_url=url)) as opened:
        yield opened, str(tmp_path / "smart-connections.db")


async def save_community(store: Store, community_id: str) -> None:
    async with store.uow() as uow:
        await uow.communities.save(Community(id=community_id))
        await uow.commit()


async def stored(store: Store, community_id: str) -> bool:
    async with store.uow() as uow:
        return await uow.communities.get(community_id) is not None


async def test_a_database_locked_elsewhere_is_waited_for_without_freezing_the_bot(
    sqlite_store: tuple[Store, str],
) -> None:
    store, path = sqlite_store
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing
    beats = 0

    async def heartbeat() -> None:  # the rest of the bot: other members' commands
        nonlocal beats
        while True:
            await asyncio.sleep(0.01)
            beats += 1

    beating = asyncio.create_task(heartbeat())
    saving = asyncio.create_task(save_community(store, "console:waiting"))
    await asyncio.sleep(0.3)
    assert not saving.done()  # it waits for the lock...
    beats_while_locked = beats
    other.execute("COMMIT")
    await asyncio.wait_for(saving, 5)  # ...and gets it once the other side is done
    beating.cancel()
    other.close()
    assert await stored(store, "console:waiting")
    # The event loop kept running while the unit of work waited (a wait on the loop itself
    # would have allowed none of these).
    assert beats_while_locked >= 5


async def test_a_database_locked_too_long_is_an_outage_and_the_bot_recovers(
    sqlite_store: tuple[Store, str],
) -> None:
    store, path = sqlite_store
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailableError):  # the member is asked to try again
            await asyncio.wait_for(save_community(store, "console:late"), 10)
    finally:
        other.execute("COMMIT")
        other.close()
    await save_community(store, "console:after")
    assert await stored(store, "console:after")
    assert not await stored(store, "console:late")


async def test_a_failed_unit_of_work_keeps_nothing_and_holds_nothing_up(
    sqlite_store: tuple[Store, str],
) -> None:
    store, _ = sqlite_store
    with pytest.raises(RuntimeError):
        async with store.uow() as uow:
            await uow.communities.save(Community(id="console:failed"))
            raise RuntimeError("a handler bug after a write")
    await asyncio.wait_for(save_community(store, "console:next"), 5)
    assert await stored(store, "console:next")
    assert not await stored(store, "console:failed")


async def test_a_command_cancelled_while_waiting_leaves_no_trace_and_no_jam(
    sqlite_store: tuple[Store, str],
) -> None:
    store, path = sqlite_store
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    waiting = asyncio.create_task(save_community(store, "console:cancelled"))
    queued = asyncio.create_task(save_community(store, "console:queued"))
    await asyncio.sleep(0.1)
    waiting.cancel()
    other.execute("COMMIT")
    other.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.wait_for(queued, 5)
    assert await stored(store, "console:queued")
    assert not await stored(store, "console:cancelled")


async def test_many_commits_are_checkpointed_out_of_the_wal(
    sqlite_store: tuple[Store, str],
) -> None:
    store, path = sqlite_store
    for n in range(250):
        await save_community(store, f"console:c{n}")
    await asyncio.sleep(0.5)  # the checkpoint runs in a thread
    with sqlite3.connect(path) as check:
        busy, log, checkpointed = check.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and log == checkpointed  # nothing left behind in the WAL
    async with store.uow() as uow:
        assert len(await uow.communities.all_ids()) == 250


@pytest.mark.postgres
async def test_a_connection_the_server_dropped_is_replaced_unnoticed(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    await save_community(store, "console:before")
    async with store.engine.connect() as conn:
        await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    await save_community(store, "console:after")  # the pooled connection was dead
    assert await stored(store, "console:after")


async def test_an_in_memory_database_goes_through_sqlalchemy() -> None:
    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite://")
    async with open_store(settings) as store:
        await save_community(store, "console:memory")
        async with store.uow() as uow:
            assert (await uow.communities.get("console:memory")) is not None
            assert await uow.members.many("console:memory", ["nobody"]) == {}


def test_a_prepared_statement_refuses_a_list_that_would_change_its_sql() -> None:
    from sqlalchemy.dialects.sqlite import aiosqlite

    statement = Prepared(select(t.members).where(t.members.c.member_id.in_(["a", "b"])))
    with pytest.raises(ValueError, match="expanding"):
        statement.plan(aiosqlite.dialect())
