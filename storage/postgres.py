"""PostgreSQL through asyncpg directly: a pool of connections, and the session that runs a
unit of work's statements on one of them (see storage/sessions.py for the interface).

asyncpg prepares each statement once per connection and caches it; the SQL comes from the
plans of storage/compiled.py, so a call costs one round trip and little Python around it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy import exc as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.compiled import Planner, Result
from storage.sessions import Parameters, Session, SessionBase, Statement

# What a pooled connection the server dropped answers to its first statement.
_STALE = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    OSError,
)
POOL_TIMEOUT_SECONDS = 30.0  # as SQLAlchemy's pool: waiting longer means something leaks


async def _keep_session_state(connection: asyncpg.Connection) -> None:
    """Nothing to reset when a connection goes back to the pool: sessions never LISTEN,
    SET or take advisory locks (asyncpg's default reset would cost a round trip each time)."""


class PostgresBackend:
    def __init__(self, engine: AsyncEngine, connect: dict[str, Any], max_size: int) -> None:
        self._planner = Planner(engine.dialect)
        self._connect = connect
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._creating: asyncio.Lock | None = None
        self._closed = False

    async def pool(self) -> asyncpg.Pool:
        if self._pool is not None:
            return self._pool
        if self._closed:
            raise ConnectionError("the store is closed")
        if self._creating is None:
            self._creating = asyncio.Lock()
        async with self._creating:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    min_size=0,
                    max_size=self._max_size,
                    reset=_keep_session_state,
                    statement_cache_size=1024,
                    **self._connect,
                )
        return self._pool

    def session(self) -> Session:
        return PostgresSession(self.pool, self._planner)

    async def close(self) -> None:
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()


class PostgresSession(SessionBase):
    def __init__(self, pool: Callable[[], Any], planner: Planner) -> None:
        self._pool = pool  # returns the asyncpg pool (created on first use)
        self._planner = planner
        self.dialect = planner.dialect
        self._connection: asyncpg.Connection | None = None
        self._begun = False

    def in_transaction(self) -> bool:
        return self._begun

    async def _begin(self) -> asyncpg.Connection:
        pool = await self._pool()
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = await pool.acquire(timeout=POOL_TIMEOUT_SECONDS)
            try:
                await self._connection.execute("BEGIN")
            except _STALE as exc:
                # A pooled connection the server has since closed (or is closing: its last
                # words may still be in flight): nothing was sent, so once, take a fresh one.
                broken, self._connection = self._connection, None
                broken.terminate()
                await pool.release(broken)
                if attempt == 2:
                    raise _from_asyncpg(exc, "BEGIN", ()) from exc
                continue
            except (asyncpg.PostgresError, TimeoutError) as exc:
                raise _from_asyncpg(exc, "BEGIN", ()) from exc
            break
        self._begun = True
        assert self._connection is not None
        return self._connection

    async def _ready(self) -> asyncpg.Connection:
        if self._begun and self._connection is not None:
            return self._connection
        try:
            return await self._begin()
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise _from_asyncpg(exc, "connect", ()) from exc

    async def execute(self, statement: Statement, parameters: Parameters = None) -> Result:
        connection = await self._ready()
        plan, rows, many = self._bound(statement, parameters)
        try:
            if many:
                await connection.executemany(plan.sql, rows)
                return Result([], len(rows))
            if plan.row is not None:
                found = plan.rows(await connection.fetch(plan.sql, *rows[0]))
                return Result(found, len(found))
            status = await connection.execute(plan.sql, *rows[0])
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            raise _from_asyncpg(exc, plan.sql, rows) from exc
        return Result([], _rowcount(status))

    async def _plain(self, sql: str) -> None:
        connection = await self._ready()
        try:
            await connection.execute(sql)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            raise _from_asyncpg(exc, sql, ()) from exc

    async def commit(self) -> None:
        if not self._begun or self._connection is None:
            return
        self._begun = False
        try:
            await self._connection.execute("COMMIT")
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            raise _from_asyncpg(exc, "COMMIT", ()) from exc

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        pool = await self._pool()
        try:
            if self._begun and not connection.is_closed():
                await connection.execute("ROLLBACK")
        except Exception:  # the connection is gone or broken: the pool replaces it
            connection.terminate()
        finally:
            self._begun = False
            await pool.release(connection)


def _rowcount(status: str) -> int:
    """asyncpg's command status ("UPDATE 3", "INSERT 0 1") -> the rows it touched."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


_PG_OUTAGES = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)


def _from_asyncpg(exc: BaseException, sql: str, params: Any) -> sa.DBAPIError:
    kind: type[sa.DBAPIError]
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        kind = sa.IntegrityError
    elif isinstance(exc, _PG_OUTAGES):
        kind = sa.OperationalError
    else:
        kind = sa.DatabaseError
    return kind(sql, params, exc, hide_parameters=True)
