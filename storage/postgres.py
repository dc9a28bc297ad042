"""PostgreSQL through asyncpg directly: a pool of connections, and the session that runs a
unit of work's statements on one of them (see storage/sessions.py for the interface).

asyncpg prepares each statement once per connection and caches it; the SQL comes from the
plans of storage/compiled.py, so a call costs one round trip and little Python around it.
"""

from __future__ import annotations

import asyncio
from collections import deque
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


IDLE_SECONDS = 300.0  # an unused connection is closed after this (as asyncpg's pool does)


class ConnectionPool:
    """Up to `max_size` asyncpg connections, opened when needed, the most recently used lent
    first, closed after IDLE_SECONDS unused.

    Lending one out costs a list pop, where asyncpg's own pool runs a timeout task for each
    acquire and a shielded task for each release (about 20 µs of a request's CPU, and loop
    turns, at 16 requests in flight). Nothing is reset on the way back: sessions never
    LISTEN, SET or take session locks, and a connection that is not clean (a statement
    interrupted, a transaction left open) is closed instead of lent again.
    """

    def __init__(self, connect: dict[str, Any], max_size: int) -> None:
        self._connect = connect
        self._max_size = max_size
        self._idle: list[tuple[asyncpg.Connection, float]] = []  # (connection, idle since)
        self._open = 0  # connections open or being opened, lent or idle
        self._waiting: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self._closing: set[asyncio.Task[None]] = set()
        self._sweep: asyncio.TimerHandle | None = None
        self._closed = False

    async def acquire(self) -> asyncpg.Connection:
        while self._idle:
            connection, _ = self._idle.pop()
            if not connection.is_closed():
                return connection
            self._open -= 1
        if self._closed:
            raise ConnectionError("the store is closed")
        if self._open < self._max_size:
            self._open += 1
        else:
            lent = await self._wait()
            if lent is not None:
                return lent
            # None: a connection was dropped and its place handed to us
        try:
            opened: asyncpg.Connection = await asyncpg.connect(**self._connect)
        except BaseException:
            self._free_place()
            raise
        if self._closed:
            self.release(opened, clean=False)
            raise ConnectionError("the store is closed")
        return opened

    async def _wait(self) -> asyncpg.Connection | None:
        waiter: asyncio.Future[asyncpg.Connection | None]
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            async with asyncio.timeout(POOL_TIMEOUT_SECONDS):
                return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                # Handed over just as we gave up: pass it on.
                lent = waiter.result()
                if lent is None:
                    self._free_place()
                else:
                    self.release(lent, clean=True)
            else:
                waiter.cancel()
            raise

    def release(self, connection: asyncpg.Connection, clean: bool) -> None:
        if not clean or self._closed or connection.is_closed() or connection.is_in_transaction():
            self._drop(connection)
            return
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        self._idle.append((connection, asyncio.get_running_loop().time()))
        if self._sweep is None:
            self._sweep = asyncio.get_running_loop().call_later(IDLE_SECONDS, self._close_idle)

    def _drop(self, connection: asyncpg.Connection) -> None:
        if not connection.is_closed():
            connection.terminate()
        self._free_place()

    def _free_place(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the waiter opens a connection in this place
                return
        self._open -= 1

    def _close_idle(self) -> None:
        self._sweep = None
        loop = asyncio.get_running_loop()
        cutoff = loop.time() - IDLE_SECONDS
        # Lent newest-first, so the longest idle are at the front.
        while self._idle and self._idle[0][1] <= cutoff:
            connection, _ = self._idle.pop(0)
            self._open -= 1
            self._close_later(connection)
        if self._idle:
            self._sweep = loop.call_at(self._idle[0][1] + IDLE_SECONDS, self._close_idle)

    def _close_later(self, connection: asyncpg.Connection) -> None:
        task = asyncio.create_task(self._close_one(connection))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    @staticmethod
    async def _close_one(connection: asyncpg.Connection) -> None:
        try:
            await connection.close(timeout=5)
        except Exception:  # it was going anyway
            connection.terminate()

    async def close(self) -> None:
        """Close the idle connections now; those lent out close when they come back."""
        self._closed = True
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for connection, _ in idle:
            self._close_later(connection)
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_exception(ConnectionError("the store is closed"))
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)


class PostgresBackend:
    def __init__(self, engine: AsyncEngine, connect: dict[str, Any], max_size: int) -> None:
        self._planner = Planner(engine.dialect)
        self._pool = ConnectionPool({"statement_cache_size": 1024, **connect}, max_size)

    def session(self) -> Session:
        return PostgresSession(self._pool, self._planner)

    async def close(self) -> None:
        await self._pool.close()


class PostgresSession(SessionBase):
    def __init__(self, pool: ConnectionPool, planner: Planner) -> None:
        self._pool = pool
        self._planner = planner
        self.dialect = planner.dialect
        self._connection: asyncpg.Connection | None = None
        self._begun = False
        # True while a statement is out and unanswered: if it never is (cancelled, timed
        # out, the socket failed), the connection's state is unknown and it is not reused.
        self._busy = False

    def in_transaction(self) -> bool:
        return self._begun

    async def _begin(self) -> asyncpg.Connection:
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = await self._pool.acquire()
            self._busy = True
            try:
                await self._connection.execute("BEGIN")
            except _STALE as exc:
                # A pooled connection the server has since closed (or is closing: its last
                # words may still be in flight): nothing was sent, so once, take a fresh one.
                broken, self._connection = self._connection, None
                self._pool.release(broken, clean=False)
                if attempt == 2:
                    raise _from_asyncpg(exc, "BEGIN", ()) from exc
                continue
            except asyncpg.PostgresError as exc:
                self._busy = False
                raise _from_asyncpg(exc, "BEGIN", ()) from exc
            except TimeoutError as exc:
                raise _from_asyncpg(exc, "BEGIN", ()) from exc
            self._busy = False
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
        self._busy = True
        try:
            if many:
                await connection.executemany(plan.sql, rows)
                result = Result([], len(rows))
            elif plan.row is not None:
                found = plan.rows(await connection.fetch(plan.sql, *rows[0]))
                result = Result(found, len(found))
            else:
                result = Result([], _rowcount(await connection.execute(plan.sql, *rows[0])))
        except asyncpg.PostgresError as exc:
            self._busy = False  # the server answered: the connection is in step
            raise _from_asyncpg(exc, plan.sql, rows) from exc
        except (asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            raise _from_asyncpg(exc, plan.sql, rows) from exc
        self._busy = False
        return result

    async def _plain(self, sql: str) -> None:
        connection = await self._ready()
        self._busy = True
        try:
            await connection.execute(sql)
        except asyncpg.PostgresError as exc:
            self._busy = False
            raise _from_asyncpg(exc, sql, ()) from exc
        except (asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            raise _from_asyncpg(exc, sql, ()) from exc
        self._busy = False

    async def commit(self) -> None:
        if not self._begun or self._connection is None:
            return
        self._begun = False
        self._busy = True
        try:
            await self._connection.execute("COMMIT")
        except asyncpg.PostgresError as exc:
            self._busy = False
            raise _from_asyncpg(exc, "COMMIT", ()) from exc
        except (asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            raise _from_asyncpg(exc, "COMMIT", ()) from exc
        self._busy = False

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if self._begun and not self._busy and not connection.is_closed():
                self._busy = True
                await connection.execute("ROLLBACK")
                self._busy = False
        except Exception:  # the connection is gone or broken: it is not lent again
            pass
        finally:
            self._begun = False
            self._pool.release(connection, clean=not self._busy)


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
