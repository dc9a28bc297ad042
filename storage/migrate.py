"""Applying Alembic migrations from code: on start and by `smart-connections db upgrade`.

Alembic (with Mako and Pygments behind it) would cost every running bot about 8 MiB that it
never uses once the schema is current, which is every start but the first after a deploy.
So the database's revision is read with a plain query and compared with the newest revision
of migrations/versions, read from the files' text; Alembic is imported only when there is
something to upgrade.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSIONS = MIGRATIONS / "versions"
VERSION_TABLE = "alembic_version"  # Alembic's default, in the connection's default schema
# Any constant works; it only has to be the same for every replica that migrates.
MIGRATION_LOCK_KEY = 4_711_2026

# The module-level assignments Alembic's revision template writes.
_REVISION = re.compile(r"""^revision(?:\s*:\s*str)?\s*=\s*["']([^"']+)["']\s*$""", re.M)
_DOWN_REVISION = re.compile(
    r"""^down_revision(?:\s*:[^=\n]*)?=\s*(?:None|["']([^"']+)["'])\s*$""", re.M
)


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str | None:
    """The newest revision this code brings: from the migration files' own lines, or, when
    they do not read as one straight line of revisions, from Alembic."""
    return head_from_files(VERSIONS) or alembic_head_revision()


def head_from_files(versions: Path) -> str | None:
    """The one revision no other revises, if every file names its revision and the one it
    revises in the template's plain form (a merge or a branch: None, Alembic decides)."""
    revises: dict[str, str | None] = {}
    for path in versions.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(source), _DOWN_REVISION.findall(source)
        if len(revision) != 1 or len(down) != 1 or revision[0] in revises:
            return None
        revises[revision[0]] = down[0] or None
    heads = revises.keys() - set(revises.values())
    return heads.pop() if len(heads) == 1 else None


def alembic_head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _upgrade(connection: Connection) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        # Replicas starting together migrate one after another, not at once.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    command.upgrade(alembic_config(connection), "head")


async def _stamped(connection: AsyncConnection) -> list[str]:
    """The revisions recorded in the database (none before the first migration)."""
    exists = await connection.run_sync(lambda sync: inspect(sync).has_table(VERSION_TABLE))
    if not exists:
        return []
    rows = await connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    return sorted(str(row[0]) for row in rows)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's revision (None before the first migration; several, on branches,
    joined by spaces)."""
    async with engine.connect() as connection:
        return " ".join(await _stamped(connection)) or None


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision; when it is there already, one query."""
    head = head_revision()
    if head is not None and await current_revision(engine) == head:
        return
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
