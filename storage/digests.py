"""Digest claims: a unique (community, period) row makes each digest post once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.digest.model import DigestRecord
from storage import tables as t


def _record(row: Row[Any]) -> DigestRecord:
    return DigestRecord(
        community_id=row.community_id,
        period_start=row.period_start,
        status=row.status,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        attempts=row.attempts,
        posted_at=row.posted_at,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
    )


class SqlDigests:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def claim(
        self, community_id: str, period_start: datetime, claimed_by: str, now: datetime
    ) -> bool:
        try:
            async with self.connection.begin_nested():
                await self.connection.execute(
                    insert(t.digests).values(
                        community_id=community_id,
                        period_start=period_start,
                        status="claimed",
                        claimed_by=claimed_by,
                        claimed_at=now,
                        attempts=0,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def get(self, community_id: str, period_start: datetime) -> DigestRecord | None:
        row = (
            await self.connection.execute(
                select(t.digests).where(
                    t.digests.c.community_id == community_id,
                    t.digests.c.period_start == period_start,
                )
            )
        ).first()
        return _record(row) if row else None

    async def save(self, record: DigestRecord) -> None:
        await self.connection.execute(
            update(t.digests)
            .where(
                t.digests.c.community_id == record.community_id,
                t.digests.c.period_start == record.period_start,
            )
            .values(
                status=record.status,
                claimed_by=record.claimed_by,
                claimed_at=record.claimed_at,
                attempts=record.attempts,
                posted_at=record.posted_at,
                last_error=record.last_error,
                next_attempt_at=record.next_attempt_at,
            )
        )

    async def retryable(self, now: datetime) -> list[DigestRecord]:
        rows = await self.connection.execute(
            select(t.digests)
            .where(t.digests.c.status == "failed", t.digests.c.next_attempt_at <= now)
            .order_by(t.digests.c.next_attempt_at)
        )
        return [_record(r) for r in rows]
