"""Where a unit of work's session comes from, per database: the single SQLite writer of the
process, a pool of asyncpg connections, or (any other database) SQLAlchemy's own pool."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.compiled import Planner
from storage.sessions import Session, SqlAlchemySession, SqliteSession
from storage.sqlite_writer import SqliteWriter


class Backend(Protocol):
    def session(self) -> Session: ...
    async def close(self) -> None: ...


class SqliteBackend:
    def __init__(self, engine: AsyncEngine, path: str) -> None:
        self._writer = SqliteWriter(path)
        self._planner = Planner(engine.dialect)

    def session(self) -> Session:
        return SqliteSession(self._writer, self._planner)

    async def close(self) -> None:
        await self._writer.close()


class SqlAlchemyBackend:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def session(self) -> Session:
        return SqlAlchemySession(self._engine)

    async def close(self) -> None:
        return None


def backend_for(engine: AsyncEngine, connect_args: dict[str, Any], pool_size: int) -> Backend:
    """The direct path for a SQLite file or PostgreSQL over asyncpg; SQLAlchemy otherwise
    (an in-memory SQLite database exists only inside SQLAlchemy's own connection)."""
    url = engine.url
    backend = url.get_backend_name()
    database = url.database or ":memory:"
    if backend == "sqlite" and database != ":memory:" and not database.startswith("file:"):
        return SqliteBackend(engine, database)
    if backend == "postgresql" and url.get_driver_name() == "asyncpg":
        args, kwargs = engine.dialect.create_connect_args(url)
        if not args:
            from storage.postgres import PostgresBackend  # asyncpg only when it is used

            return PostgresBackend(engine, {**kwargs, **connect_args}, pool_size)
    return SqlAlchemyBackend(engine)
