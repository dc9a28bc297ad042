"""Digest claims: a unique (community, period) row makes each digest post once.

Claims and the schedule are taken under row locks: PostgreSQL selects due communities and
retryable records `FOR UPDATE SKIP LOCKED`, so each replica takes different rows; SQLite
serialises writers anyway (every transaction begins IMMEDIATE, see storage/engine.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.digest.model import DigestRecord
from bot.domain import Community
from storage import tables as t
from storage.repositories import _community


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
        period_end=row.period_end,
    )


def _nominal_end(record: DigestRecord) -> datetime:
    return record.period_end or record.period_start + timedelta(days=7)


def _of_platforms(community_id: Any, platforms: Sequence[str]) -> ColumnElement[bool]:
    return or_(*(community_id.startswith(f"{p}:", autoescape=True) for p in platforms))


class SqlDigests:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    def _locked(self, query: Select[Any]) -> Select[Any]:
        if self.connection.dialect.name == "postgresql":
            return query.with_for_update(skip_locked=True)
        return query

    async def claim(
        self, community_id: str, period_start: datetime, claimed_by: str, now: datetime
    ) -> bool:
        claim = {
            "status": "claimed",
            "claimed_by": claimed_by,
            "claimed_at": now,
            "attempts": 0,
            "posted_at": None,
            "last_error": None,
            "next_attempt_at": None,
            "period_end": None,
        }
        try:
            async with self.connection.begin_nested():
                await self.connection.execute(
                    insert(t.digests).values(
                        community_id=community_id, period_start=period_start, **claim
                    )
                )
        except IntegrityError:
            # Taken, unless its claimant gave it back: then the first to update it wins.
            result = await self.connection.execute(
                update(t.digests)
                .where(
                    t.digests.c.community_id == community_id,
                    t.digests.c.period_start == period_start,
                    t.digests.c.status == "released",
                )
                .values(**claim)
            )
            return bool(result.rowcount)
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
                period_end=record.period_end,
            )
        )

    async def last_posted(self, community_id: str, before: datetime) -> DigestRecord | None:
        posted = select(t.digests).where(
            t.digests.c.community_id == community_id,
            t.digests.c.status == "posted",
            t.digests.c.period_start < before,
        )
        # Two candidates among the community's rows (a few a year): the latest stored end, and
        # the latest digest posted before ends were stored (migration 0005): a week on.
        ended = t.digests.c.period_end
        latest = (
            await self.connection.execute(
                posted.where(ended.is_not(None)).order_by(ended.desc()).limit(1)
            )
        ).first()
        legacy = (
            await self.connection.execute(
                posted.where(ended.is_(None)).order_by(t.digests.c.period_start.desc()).limit(1)
            )
        ).first()
        candidates = [_record(r) for r in (latest, legacy) if r is not None]
        return max(candidates, key=_nominal_end, default=None)

    async def retryable(
        self, now: datetime, platforms: Sequence[str] | None = None, limit: int | None = None
    ) -> list[DigestRecord]:
        query = select(t.digests).where(
            t.digests.c.status.in_(("failed", "claimed")), t.digests.c.next_attempt_at <= now
        )
        if platforms is not None:
            if not platforms:
                return []
            query = query.where(_of_platforms(t.digests.c.community_id, platforms))
        query = query.order_by(t.digests.c.next_attempt_at, t.digests.c.community_id)
        if limit is not None:
            query = query.limit(limit)
        rows = await self.connection.execute(self._locked(query))
        return [_record(r) for r in rows]

    async def lock_due(
        self, now: datetime, platforms: Sequence[str], limit: int
    ) -> list[Community]:
        if not platforms:
            return []
        due = t.communities.c.next_digest_due_at
        query = (
            select(t.communities)
            .where(
                due <= now,
                t.communities.c.paused.is_(False),
                _of_platforms(t.communities.c.id, platforms),
            )
            .order_by(due, t.communities.c.id)
            .limit(limit)
        )
        rows = await self.connection.execute(self._locked(query))
        return [_community(r) for r in rows]
