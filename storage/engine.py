"""Creating the async engine, with SQLite set up for concurrent writers, and the direct
path (storage/backends.py) that units of work take beside it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.backends import Backend, backend_for

SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_POOL_SIZE = 10
POSTGRES_MAX_OVERFLOW = 10
POSTGRES_CONNECT_ARGS = {"timeout": 5, "command_timeout": 10}


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


class StoreEngine(AsyncEngine):
    """SQLAlchemy's engine (migrations, health checks, installations, backups use it) that
    also owns the direct path of the units of work, and closes it when disposed."""

    def __init__(self, sync_engine: Engine, connect_args: dict[str, Any], pool_size: int) -> None:
        super().__init__(sync_engine)
        self._connect_args = connect_args
        self._pool_size = pool_size
        self._backend: Backend | None = None

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = backend_for(self, self._connect_args, self._pool_size)
        return self._backend

    async def dispose(self, close: bool = True) -> None:
        backend, self._backend = self._backend, None
        try:
            if backend is not None:
                await backend.close()
        finally:
            await super().dispose(close)


def create_engine(url: str, **kwargs: Any) -> StoreEngine:
    if not is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
        kwargs.setdefault("max_overflow", POSTGRES_MAX_OVERFLOW)
        kwargs.setdefault("connect_args", dict(POSTGRES_CONNECT_ARGS))
        engine = create_async_engine(url, **kwargs)
        size = int(kwargs["pool_size"]) + int(kwargs["max_overflow"])
        return StoreEngine(engine.sync_engine, dict(kwargs["connect_args"]), size)
    engine = create_async_engine(url, connect_args={"timeout": 10}, **kwargs)
    _configure_sqlite(engine)
    return StoreEngine(engine.sync_engine, {}, 1)


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the driver so we can BEGIN IMMEDIATE below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers queue on the lock at BEGIN instead of failing later with "database is locked".
        connection.exec_driver_sql("BEGIN IMMEDIATE")
