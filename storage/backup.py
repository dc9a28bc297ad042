"""A whole community's rows as JSON, and back: `smart-connections export` / `import`."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage import tables as t
from storage.types import UtcDateTime

FORMAT = "smart-connections/community-backup"
VERSION = 1


class BackupError(Exception):
    """The backup cannot be restored here; the message says why in plain words."""


def community_tables() -> list[tuple[Table, Column[Any]]]:
    """Every table holding a community's rows, parents before children, with its scope column."""
    result: list[tuple[Table, Column[Any]]] = []
    for table in t.metadata.sorted_tables:
        if "community_id" in table.c:
            result.append((table, table.c.community_id))
        elif table is t.communities:
            result.append((table, table.c.id))
    return result


def _dump(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, UtcDateTime):
        assert isinstance(value, datetime)
        return value.isoformat()
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode()}
    return value


def _load(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, UtcDateTime):
        return datetime.fromisoformat(value)
    if isinstance(value, dict) and "base64" in value:
        return base64.b64decode(value["base64"])
    return value


async def export_community(engine: AsyncEngine, community_id: str) -> dict[str, Any]:
    tables: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as conn:
        for table, scope in community_tables():
            key = [c for c in table.primary_key.columns]
            rows = await conn.execute(select(table).where(scope == community_id).order_by(*key))
            tables[table.name] = [
                {c.name: _dump(c, row._mapping[c.name]) for c in table.columns} for row in rows
            ]
    if not tables.get("communities"):
        raise BackupError(f"there is no community {community_id!r} in this database")
    return {"format": FORMAT, "version": VERSION, "community": community_id, "tables": tables}


async def import_community(engine: AsyncEngine, backup: dict[str, Any]) -> dict[str, int]:
    """Restore into a database that does not hold this community yet; ids are kept."""
    if backup.get("format") != FORMAT or backup.get("version") != VERSION:
        raise BackupError("this file is not a Smart Connections community backup (version 1)")
    community_id = backup["community"]
    counts: dict[str, int] = {}
    async with engine.begin() as conn:
        if await conn.scalar(select(t.communities.c.id).where(t.communities.c.id == community_id)):
            raise BackupError(f"community {community_id!r} already exists here; nothing imported")
        for table, _scope in community_tables():
            rows = backup["tables"].get(table.name, [])
            if rows:
                await conn.execute(
                    insert(table),
                    [{c.name: _load(c, row.get(c.name)) for c in table.columns} for row in rows],
                )
            counts[table.name] = len(rows)
        await _advance_sequences(conn)
    return counts


async def _advance_sequences(conn: AsyncConnection) -> None:
    """PostgreSQL hands out ids from sequences: move them past the ids just restored."""
    if conn.dialect.name != "postgresql":
        return
    for table, _scope in community_tables():
        [key, *rest] = list(table.primary_key.columns)
        if rest or not key.autoincrement or key.type.python_type is not int:
            continue
        highest = await conn.scalar(select(func.max(key)))
        if highest:
            await conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, :column), :value)"),
                {"table": table.name, "column": key.name, "value": highest},
            )
