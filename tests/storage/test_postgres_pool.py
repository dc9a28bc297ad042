"""The PostgreSQL connection pool of the direct path (storage/postgres.py), on a real server:
more commands than connections all get through, a command cancelled or timed out mid-way
leaves nothing behind (no half transaction on a reused connection, no lost place in the
pool), and connections nobody uses are given back to the server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text

from bot.domain import Community
from bot.errors import StoreUnavailableError
from storage import postgres
from storage.engine import StoreEngine, create_engine
from storage.migrate import upgrade
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.databases import temporary_postgres

pytestmark = pytest.mark.postgres

SESSIONS = (
    "SELECT state FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
)


@pytest.fixture
async def engine() -> AsyncIterator[StoreEngine]:
    """A migrated database whose direct path may hold at most two connections."""
    async with temporary_postgres() as url:
        created = create_engine(url, pool_size=2, max_overflow=0)
        try:
            await upgrade(created)
            await created.dispose()  # SQLAlchemy's own pool: out of the counts below
            yield created
        finally:
            await created.dispose()


async def save(uows: SqlUnitOfWorkFactory, community_id: str, hold: float = 0.0) -> None:
    """A command that saves a community, holding its connection `hold` seconds first."""
    async with uows() as uow:
        await uow.communities.save(Community(id=community_id))
        if hold:
            await uow.communities.connection.execute(  # type: ignore[attr-defined]
                text(f"SELECT pg_sleep({hold})")
            )
        await uow.commit()


async def stored(uows: SqlUnitOfWorkFactory) -> list[str]:
    async with uows() as uow:
        return sorted(await uow.communities.all_ids())


async def both_places_usable(uows: SqlUnitOfWorkFactory, first: str, second: str) -> None:
    """Two commands hold connections at once: the pool still has both its places."""
    holding = asyncio.create_task(save(uows, first, hold=2))
    await asyncio.sleep(0.3)
    await asyncio.wait_for(save(uows, second), 1.5)  # without waiting for the first
    assert not holding.done()
    await holding


async def sessions(engine: StoreEngine) -> list[str]:
    """The states of the database's other client connections: the direct path's."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(url)
    try:
        return [str(row[0]) for row in await connection.fetch(SESSIONS)]
    finally:
        await connection.close()


async def test_more_commands_than_connections_all_get_through(engine: StoreEngine) -> None:
    uows = SqlUnitOfWorkFactory(engine)
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, len(await sessions(engine)))
            await asyncio.sleep(0.02)

    watching = asyncio.create_task(watch())
    try:
        await asyncio.gather(*(save(uows, f"console:c{n}", hold=0.05) for n in range(12)))
    finally:
        watching.cancel()
    assert await stored(uows) == sorted(f"console:c{n}" for n in range(12))
    assert 1 <= peak <= 2


async def test_a_command_cancelled_mid_statement_leaves_no_half_transaction(
    engine: StoreEngine,
) -> None:
    uows = SqlUnitOfWorkFactory(engine)
    cancelled = asyncio.create_task(save(uows, "console:cancelled", hold=5))
    await asyncio.sleep(0.3)  # the community is written, the transaction still open
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    # Both places in the pool are usable at once, and nothing of the cancelled one stays.
    await both_places_usable(uows, "console:a", "console:b")
    assert await stored(uows) == ["console:a", "console:b"]
    await asyncio.sleep(0.2)  # the server notices a dropped connection's end
    assert "idle in transaction" not in await sessions(engine)


async def test_a_command_that_waited_too_long_for_a_connection_gives_its_place_back(
    engine: StoreEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "POOL_TIMEOUT_SECONDS", 0.2)
    uows = SqlUnitOfWorkFactory(engine)
    busy = [asyncio.create_task(save(uows, f"console:busy{n}", hold=1)) for n in range(2)]
    await asyncio.sleep(0.2)
    with pytest.raises(StoreUnavailableError):  # the member is asked to try again
        await save(uows, "console:late")
    await asyncio.gather(*busy)
    await both_places_usable(uows, "console:next1", "console:next2")
    assert await stored(uows) == [
        "console:busy0",
        "console:busy1",
        "console:next1",
        "console:next2",
    ]


async def test_connections_nobody_uses_are_closed(
    engine: StoreEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "IDLE_SECONDS", 0.3)
    uows = SqlUnitOfWorkFactory(engine)
    await asyncio.gather(save(uows, "console:a", hold=0.1), save(uows, "console:b", hold=0.1))
    assert len(await sessions(engine)) == 2
    await save(uows, "console:c")  # one of them used again: its idle time starts over
    await asyncio.sleep(1.0)
    assert await sessions(engine) == []
    await save(uows, "console:d")  # and a new one opens when wanted again
    assert await stored(uows) == ["console:a", "console:b", "console:c", "console:d"]
