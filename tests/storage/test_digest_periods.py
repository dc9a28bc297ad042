"""Where posted digests' periods ended, on SQLite, PostgreSQL and the in-memory fake: the
store finds the one a new digest must start after (migration 0005 added the column; digests
posted before it have none and count as covering their week)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.bootstrap import Store
from bot.digest.model import DigestRecord
from bot.ports import UnitOfWorkFactory
from storage.migrate import alembic_config, upgrade
from tests.databases import migrate_to
from tests.fakes import FakeStore

S = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
D = timedelta(days=1)
A, B = "console:a", "console:b"


async def put(
    uow_factory: UnitOfWorkFactory,
    community: str,
    start: datetime,
    status: str = "posted",
    end: datetime | None = None,
) -> DigestRecord:
    record = DigestRecord(community, start, status, "w", start, 1, start, None, None, end)
    async with uow_factory() as uow:
        assert await uow.digests.claim(community, start, "w", start)
        await uow.digests.save(record)
        await uow.commit()
    return record


@pytest.fixture(params=["sql", "fake"])
def uow_factory(request: pytest.FixtureRequest, store: Store) -> UnitOfWorkFactory:
    return store.uow if request.param == "sql" else FakeStore().uow


async def test_the_last_posted_digest_is_the_one_ending_last(
    uow_factory: UnitOfWorkFactory,
) -> None:
    legacy = await put(uow_factory, A, S - 7 * D)  # posted before ends were stored
    week = await put(uow_factory, A, S, end=S + 7 * D)
    friday = await put(uow_factory, A, S + 4 * D, end=S + 11 * D)
    await put(uow_factory, A, S + 5 * D, end=S + 6 * D)  # began later, but ended sooner
    await put(uow_factory, A, S + 11 * D, status="skipped")
    await put(uow_factory, A, S + 12 * D, status="failed", end=S + 20 * D)
    await put(uow_factory, B, S + D, end=S + 30 * D)  # another community's

    async with uow_factory() as uow:
        found = [
            await uow.digests.last_posted(A, before)
            for before in (S - 7 * D, S, S + D, S + 5 * D, S + 30 * D)
        ]
        stored = await uow.digests.get(A, S)
    assert found == [None, legacy, week, friday, friday]
    assert stored is not None and stored.period_end == S + 7 * D


async def test_a_digest_without_a_stored_end_counts_as_ending_a_week_on(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await put(uow_factory, A, S, end=S + 2 * D)  # a `digest now` sent two days in
    legacy = await put(uow_factory, A, S + D)  # taken to end at S + 8 days
    async with uow_factory() as uow:
        assert await uow.digests.last_posted(A, S + 9 * D) == legacy


async def test_migration_0005_adds_and_drops_the_period_end(database_url: str) -> None:
    engine = create_async_engine(database_url)

    async def columns() -> set[str]:
        async with engine.connect() as connection:
            found = await connection.run_sync(lambda sync: inspect(sync).get_columns("digests"))
        return {str(c["name"]) for c in found}

    try:
        await migrate_to(
            engine,
            "0004",
            "INSERT INTO digests (community_id, period_start, status, claimed_by, "
            "claimed_at, attempts, posted_at) VALUES ('console:a', '2026-03-02 09:00:00', "
            "'posted', 'w', '2026-03-09 09:00:00', 1, '2026-03-09 09:00:00')",
        )
        await upgrade(engine)
        assert "period_end" in await columns()
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT status, period_end FROM digests"))).all()
        assert [tuple(r) for r in rows] == [("posted", None)]  # kept, without an end

        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0004"))
        assert "period_end" not in await columns()
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM digests")) == 1
        await upgrade(engine)
        assert "period_end" in await columns()
    finally:
        await engine.dispose()
