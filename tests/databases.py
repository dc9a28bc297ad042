"""Real databases for tests: a temporary SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import alembic_config

PG_HOST = os.environ.get("TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("TEST_PG_USER", "postgres")


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'smart-connections.db'}"


async def _pg_admin() -> object:
    import asyncpg

    return await asyncpg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres", timeout=5
    )


async def postgres_available() -> str | None:
    """None when the server answers, else why not."""
    try:
        conn = await _pg_admin()
    except Exception as exc:  # any failure to connect means: no server for us
        return f"{type(exc).__name__}: {exc}"
    await conn.close()  # type: ignore[attr-defined]
    return None


def require_postgres(reason: str | None) -> None:
    if reason is None:
        return
    message = f"PostgreSQL at {PG_HOST}:{PG_PORT} is not answering ({reason})"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI must run the PostgreSQL tests")
    pytest.skip(message)


@asynccontextmanager
async def temporary_postgres() -> AsyncIterator[str]:
    """Create a database of its own for one test, and drop it afterwards."""
    require_postgres(await postgres_available())
    name = f"sc_test_{uuid.uuid4().hex[:12]}"
    admin = await _pg_admin()
    await admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    try:
        yield f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        await admin.execute(  # type: ignore[attr-defined]
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        )
        await admin.close()  # type: ignore[attr-defined]


async def migrate_to(engine: AsyncEngine, revision: str, *statements: str) -> None:
    """Bring a database to an old `revision` and run `statements` there: rows as an older
    release left them, for a migration test to carry forward."""
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))
        for statement in statements:
            await connection.execute(text(statement))


def community_at_0002(community_id: str) -> str:
    """An INSERT of a community as revision 0002 stored it (before the burst limit)."""
    return (
        "INSERT INTO communities (id, digest_weekday, digest_time, timezone, paused, "
        "daily_kudos_limit, min_reason_length) "
        f"VALUES ('{community_id}', 0, '09:00', 'UTC', false, 10, 10)"
    )
