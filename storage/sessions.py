"""A session: one transaction of one unit of work, as the repositories use it.

Three kinds, one interface (the part of SQLAlchemy's AsyncConnection the repositories use):
- `SqliteSession`: statements inline on the process's single SQLite writer connection;
- `PostgresSession` (storage/postgres.py): statements straight on an asyncpg connection
  from a pool (asyncpg prepares and caches each statement), no SQLAlchemy machinery per call;
- `SqlAlchemySession`: any other database, through SQLAlchemy's AsyncConnection.

Each begins its transaction with its first statement, and rolls back on `close` whatever
was not committed. Driver errors surface as SQLAlchemy's exceptions (IntegrityError for a
duplicate key, OperationalError for an outage), as they did through SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from sqlalchemy import Executable
from sqlalchemy import exc as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.compiled import Plan, Planner, Prepared, Result, Scalars, row_type
from storage.sqlite_writer import SqliteWriter, is_busy

Statement = Executable | Prepared
Parameters = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


class Session(Protocol):
    dialect: Dialect

    async def execute(self, statement: Statement, parameters: Parameters = None) -> Result: ...
    async def scalar(self, statement: Statement, parameters: Parameters = None) -> Any: ...
    async def scalars(self, statement: Statement, parameters: Parameters = None) -> Scalars: ...

    def begin_nested(self) -> AbstractAsyncContextManager[None]:
        """A savepoint: rolled back alone when the block raises."""
        ...

    def in_transaction(self) -> bool: ...
    async def commit(self) -> None: ...

    async def close(self) -> None:
        """Roll back what was not committed and give the connection back."""
        ...


class SessionBase:
    """What every session does the same way: planning, scalars, savepoints."""

    dialect: Dialect
    _planner: Planner
    _savepoints = 0

    async def execute(self, statement: Statement, parameters: Parameters = None) -> Result:
        raise NotImplementedError

    async def _plain(self, sql: str) -> None:
        raise NotImplementedError

    async def scalar(self, statement: Statement, parameters: Parameters = None) -> Any:
        return (await self.execute(statement, parameters)).scalar()

    async def scalars(self, statement: Statement, parameters: Parameters = None) -> Scalars:
        return (await self.execute(statement, parameters)).scalars()

    def _bound(
        self, statement: Statement, parameters: Parameters
    ) -> tuple[Plan, list[list[Any]], bool]:
        """The plan and its parameter rows; True when there are many (executemany)."""
        if type(statement) is Prepared and type(parameters) is dict:  # the usual call
            plan = statement.plan(self.dialect)
            return plan, [plan.parameters(parameters)], False
        if parameters is None or isinstance(parameters, Mapping):
            plan, values = self._planner.plan(statement, parameters)
            return plan, [plan.parameters(values)], False
        if not isinstance(statement, Prepared):
            raise TypeError("many parameter sets need a Prepared statement")
        plan = statement.plan(self.dialect)
        return plan, [plan.parameters(values) for values in parameters], True

    def begin_nested(self) -> AbstractAsyncContextManager[None]:
        return self._savepoint()

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        self._savepoints += 1
        name = f"sc_savepoint_{self._savepoints}"
        await self._plain(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            await self._plain(f"ROLLBACK TO SAVEPOINT {name}")
            await self._plain(f"RELEASE SAVEPOINT {name}")
            raise
        await self._plain(f"RELEASE SAVEPOINT {name}")


class SqliteSession(SessionBase):
    def __init__(self, writer: SqliteWriter, planner: Planner) -> None:
        self._writer = writer
        self._planner = planner
        self.dialect = planner.dialect
        self._begun = False

    def in_transaction(self) -> bool:
        return self._begun

    async def _begin(self) -> None:
        try:
            await self._writer.begin()
        except sqlite3.Error as exc:
            raise _from_sqlite(exc, "BEGIN IMMEDIATE", ()) from exc
        self._begun = True

    async def execute(self, statement: Statement, parameters: Parameters = None) -> Result:
        if not self._begun:
            await self._begin()
        plan, rows, many = self._bound(statement, parameters)
        connection = self._writer.connection
        try:
            try:  # inline: microseconds, no thread hop
                if many:
                    return Result([], connection.executemany(plan.sql, rows).rowcount)
                cursor = connection.execute(plan.sql, rows[0])
                if plan.row is None:
                    return Result([], cursor.rowcount)
                found = plan.rows(cursor.fetchall())
                return Result(found, len(found))
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
            return await self._waiting(plan, rows, many)
        except sqlite3.Error as exc:
            raise _from_sqlite(exc, plan.sql, rows) from exc

    async def _waiting(self, plan: Plan, rows: list[list[Any]], many: bool) -> Result:
        """The statement again, waiting in a thread for another connection's lock."""
        if many:
            count = await self._writer.run(lambda c: c.executemany(plan.sql, rows).rowcount)
            return Result([], count)

        def work(connection: sqlite3.Connection) -> tuple[list[Any], int]:
            cursor = connection.execute(plan.sql, rows[0])
            return cursor.fetchall(), cursor.rowcount

        fetched, rowcount = await self._writer.run(work)
        if plan.row is None:
            return Result([], rowcount)
        found = plan.rows(fetched)
        return Result(found, len(found))

    async def _plain(self, sql: str) -> None:
        if not self._begun:
            await self._begin()
        try:
            await self._writer.run(lambda connection: connection.execute(sql))
        except sqlite3.Error as exc:
            raise _from_sqlite(exc, sql, ()) from exc

    async def commit(self) -> None:
        if not self._begun:
            return
        self._begun = False
        try:
            await self._writer.commit()
        except sqlite3.Error as exc:
            raise _from_sqlite(exc, "COMMIT", ()) from exc

    async def close(self) -> None:
        if self._begun:
            self._begun = False
            await self._writer.rollback()


class SqlAlchemySession(SessionBase):
    """Any other database, through SQLAlchemy's own connection (and its pool)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.dialect = engine.dialect
        self._connection: AsyncConnection | None = None

    def in_transaction(self) -> bool:
        return self._connection is not None and self._connection.in_transaction()

    async def _ready(self) -> AsyncConnection:
        if self._connection is None:
            self._connection = await self._engine.connect()
        return self._connection

    async def execute(self, statement: Statement, parameters: Parameters = None) -> Result:
        connection = await self._ready()
        if isinstance(statement, Prepared):
            statement = statement.statement(self.dialect.name)
        result = await connection.execute(statement, parameters)
        if not result.returns_rows:
            return Result([], result.rowcount)
        make = row_type(tuple(result.keys()))
        rows = [make(tuple(row)) for row in result]
        return Result(rows, len(rows))

    async def _plain(self, sql: str) -> None:
        raise NotImplementedError  # savepoints go through SQLAlchemy's own

    def begin_nested(self) -> AbstractAsyncContextManager[None]:
        return self._nested()

    @asynccontextmanager
    async def _nested(self) -> AsyncIterator[None]:
        connection = await self._ready()
        async with connection.begin_nested():
            yield

    async def commit(self) -> None:
        if self._connection is not None:
            await self._connection.commit()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                await connection.rollback()
        except Exception:  # the connection may be gone: closing below discards it
            pass
        finally:
            await connection.close()


def _from_sqlite(exc: sqlite3.Error, sql: str, params: Any) -> sa.DBAPIError:
    kind: type[sa.DBAPIError]
    if isinstance(exc, sqlite3.IntegrityError):
        kind = sa.IntegrityError
    elif isinstance(exc, sqlite3.OperationalError):
        kind = sa.OperationalError
    elif isinstance(exc, sqlite3.ProgrammingError):
        kind = sa.ProgrammingError
    elif isinstance(exc, sqlite3.InterfaceError):
        kind = sa.InterfaceError
    else:
        kind = sa.DatabaseError
    return kind(sql, params, exc, hide_parameters=True)  # member text stays out of logs
