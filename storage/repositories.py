"""Repositories behind the core's ports, on one async connection (one transaction)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    String,
    Table,
    and_,
    bindparam,
    column,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import AuditEntry, Community, Kudos, Member, Offer, Prompt
from bot.errors import DuplicateDeliveryError
from storage import tables as t


class _Repository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    def _insert(self, table: Table) -> Any:
        """An INSERT that knows ON CONFLICT on both backends (they share its syntax)."""
        if self.connection.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    async def _upsert(self, table: Table, keys: dict[str, Any], values: dict[str, Any]) -> None:
        statement = self._insert(table).values(**keys, **values)
        await self.connection.execute(
            statement.on_conflict_do_update(index_elements=list(keys), set_=values)
        )


def _community(row: Row[Any]) -> Community:
    return Community(
        id=row.id,
        digest_channel=row.digest_channel,
        digest_weekday=row.digest_weekday,
        digest_time=row.digest_time,
        timezone=row.timezone,
        paused=row.paused,
        daily_kudos_limit=row.daily_kudos_limit,
        min_reason_length=row.min_reason_length,
        next_digest_due_at=row.next_digest_due_at,
        reaction_emoji=row.reaction_emoji,
        burst_kudos_limit=row.burst_kudos_limit,
    )


def _community_values(community: Community) -> dict[str, Any]:
    return {
        "digest_channel": community.digest_channel,
        "digest_weekday": community.digest_weekday,
        "digest_time": community.digest_time,
        "timezone": community.timezone,
        "paused": community.paused,
        "daily_kudos_limit": community.daily_kudos_limit,
        "min_reason_length": community.min_reason_length,
        "next_digest_due_at": community.next_digest_due_at,
        "reaction_emoji": community.reaction_emoji,
        "burst_kudos_limit": community.burst_kudos_limit,
    }


class SqlCommunities(_Repository):
    async def get(self, community_id: str) -> Community | None:
        row = (
            await self.connection.execute(
                select(t.communities).where(t.communities.c.id == community_id)
            )
        ).first()
        return _community(row) if row else None

    async def save(self, community: Community) -> None:
        values = _community_values(community)
        await self._upsert(t.communities, {"id": community.id}, values)

    async def get_or_create(self, default: Community) -> Community:
        # Two first commands at once must not overwrite each other (or an admin's change).
        await self.connection.execute(
            self._insert(t.communities)
            .values(id=default.id, **_community_values(default))
            .on_conflict_do_nothing(index_elements=["id"])
        )
        stored = await self.get(default.id)
        assert stored is not None
        return stored

    async def all_ids(self) -> list[str]:
        rows = await self.connection.execute(select(t.communities.c.id).order_by("id"))
        return [r.id for r in rows]

    async def due(self, now: datetime) -> list[Community]:
        rows = await self.connection.execute(
            select(t.communities)
            .where(
                t.communities.c.next_digest_due_at <= now,
                t.communities.c.paused.is_(False),
            )
            .order_by(t.communities.c.next_digest_due_at)
        )
        return [_community(r) for r in rows]


def _member(row: Row[Any]) -> Member:
    return Member(
        community_id=row.community_id,
        id=row.member_id,
        display_name=row.display_name,
        is_bot=row.is_bot,
        is_admin=row.is_admin,
        opted_out=row.opted_out,
        first_seen_at=row.first_seen_at,
    )


class SqlMembers(_Repository):
    def _key(self, community_id: str, member_id: str) -> Any:
        return and_(t.members.c.community_id == community_id, t.members.c.member_id == member_id)

    async def get(self, community_id: str, member_id: str) -> Member | None:
        row = (
            await self.connection.execute(
                select(t.members).where(self._key(community_id, member_id))
            )
        ).first()
        return _member(row) if row else None

    async def save(self, member: Member) -> None:
        values = {
            "display_name": member.display_name,
            "is_bot": member.is_bot,
            "is_admin": member.is_admin,
            "opted_out": member.opted_out,
            "first_seen_at": member.first_seen_at,
        }
        await self._upsert(
            t.members, {"community_id": member.community_id, "member_id": member.id}, values
        )

    async def delete(self, community_id: str, member_id: str) -> None:
        await self.connection.execute(delete(t.members).where(self._key(community_id, member_id)))

    async def many(self, community_id: str, member_ids: Sequence[str]) -> dict[str, Member]:
        if not member_ids:
            return {}
        rows = await self.connection.execute(
            select(t.members).where(
                t.members.c.community_id == community_id,
                t.members.c.member_id.in_(sorted(set(member_ids))),
            )
        )
        return {r.member_id: _member(r) for r in rows}


class SqlKudos(_Repository):
    async def add(self, kudos: Kudos) -> Kudos:
        kudos_id = (
            await self.connection.execute(
                insert(t.kudos)
                .values(
                    community_id=kudos.community_id,
                    giver_id=kudos.giver_id,
                    reason=kudos.reason,
                    tags=" ".join(kudos.tags),
                    unprompted=kudos.unprompted,
                    hidden=kudos.hidden,
                    created_at=kudos.created_at,
                    delivery_id=kudos.delivery_id,
                )
                .returning(t.kudos.c.id)
            )
        ).scalar_one()
        await self.connection.execute(
            insert(t.kudos_recipients),
            [
                {
                    "kudos_id": kudos_id,
                    "recipient_id": recipient,
                    "position": position,
                    "community_id": kudos.community_id,
                    "created_at": kudos.created_at,
                }
                for position, recipient in enumerate(kudos.recipient_ids)
            ],
        )
        return Kudos(**{**kudos.__dict__, "id": kudos_id})

    async def count_given_since(self, community_id: str, giver_id: str, since: datetime) -> int:
        count = await self.connection.scalar(
            select(func.count())
            .select_from(t.kudos)
            .where(
                t.kudos.c.community_id == community_id,
                t.kudos.c.giver_id == giver_id,
                t.kudos.c.created_at >= since,
            )
        )
        return int(count or 0)

    async def _load(self, where: Any) -> list[Kudos]:
        rows = (
            await self.connection.execute(
                select(t.kudos).where(where).order_by(t.kudos.c.created_at, t.kudos.c.id)
            )
        ).all()
        if not rows:
            return []
        recipients: dict[int, list[str]] = {r.id: [] for r in rows}
        ids = list(recipients)
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            for rec in await self.connection.execute(
                select(t.kudos_recipients.c.kudos_id, t.kudos_recipients.c.recipient_id)
                .where(t.kudos_recipients.c.kudos_id.in_(chunk))
                .order_by(t.kudos_recipients.c.kudos_id, t.kudos_recipients.c.position)
            ):
                recipients[rec.kudos_id].append(rec.recipient_id)
        return [
            Kudos(
                id=r.id,
                community_id=r.community_id,
                giver_id=r.giver_id,
                recipient_ids=tuple(recipients[r.id]),
                reason=r.reason,
                tags=tuple(r.tags.split()),
                unprompted=r.unprompted,
                hidden=r.hidden,
                created_at=r.created_at,
                delivery_id=r.delivery_id,
            )
            for r in rows
        ]

    async def given_by(
        self, community_id: str, giver_id: str, since: datetime | None = None
    ) -> list[Kudos]:
        where = and_(t.kudos.c.community_id == community_id, t.kudos.c.giver_id == giver_id)
        if since is not None:
            where = and_(where, t.kudos.c.created_at >= since)
        return await self._load(where)

    async def received_by(
        self, community_id: str, recipient_id: str, since: datetime | None = None
    ) -> list[Kudos]:
        received = select(t.kudos_recipients.c.kudos_id).where(
            t.kudos_recipients.c.community_id == community_id,
            t.kudos_recipients.c.recipient_id == recipient_id,
        )
        if since is not None:
            received = received.where(t.kudos_recipients.c.created_at >= since)
        return await self._load(
            and_(t.kudos.c.community_id == community_id, t.kudos.c.id.in_(received))
        )

    async def between(self, community_id: str, start: datetime, end: datetime) -> list[Kudos]:
        return await self._load(
            and_(
                t.kudos.c.community_id == community_id,
                t.kudos.c.created_at >= start,
                t.kudos.c.created_at < end,
            )
        )

    async def has_given_before(self, community_id: str, giver_id: str, before: datetime) -> bool:
        found = await self.connection.scalar(
            select(
                exists().where(
                    t.kudos.c.community_id == community_id,
                    t.kudos.c.giver_id == giver_id,
                    t.kudos.c.created_at < before,
                )
            )
        )
        return bool(found)

    async def givers_before(
        self, community_id: str, giver_ids: Sequence[str], before: datetime
    ) -> set[str]:
        ids = sorted(set(giver_ids))
        if not ids:
            return set()
        # One statement for any number of givers: the ids as a table (unnest / json_each),
        # each checked with an EXISTS that stops at the first row of the giver index.
        if self.connection.dialect.name == "postgresql":
            table = (
                func.unnest(bindparam("giver_ids", ids, type_=postgresql.ARRAY(String)))
                .table_valued(column("id", String), name="candidates")
                .render_derived()
            )
            candidate = table.c.id
        else:
            table = func.json_each(json.dumps(ids)).table_valued("value", name="candidates")
            candidate = table.c.value
        gave = exists().where(
            t.kudos.c.community_id == community_id,
            t.kudos.c.giver_id == candidate,
            t.kudos.c.created_at < before,
        )
        rows = await self.connection.execute(select(candidate).where(gave))
        return {str(r[0]) for r in rows}

    async def erase_member(self, community_id: str, member_id: str, tombstone: str) -> None:
        await self.connection.execute(
            update(t.kudos)
            .where(t.kudos.c.community_id == community_id, t.kudos.c.giver_id == member_id)
            .values(giver_id=tombstone, reason="", tags="", delivery_id=None)
        )
        # A kudos may already name the tombstone (another forgotten member): keep keys unique.
        clash = (
            select(t.kudos_recipients.c.kudos_id)
            .where(t.kudos_recipients.c.recipient_id == tombstone)
            .scalar_subquery()
        )
        await self.connection.execute(
            delete(t.kudos_recipients).where(
                t.kudos_recipients.c.community_id == community_id,
                t.kudos_recipients.c.recipient_id == member_id,
                t.kudos_recipients.c.kudos_id.in_(clash),
            )
        )
        await self.connection.execute(
            update(t.kudos_recipients)
            .where(
                t.kudos_recipients.c.community_id == community_id,
                t.kudos_recipients.c.recipient_id == member_id,
            )
            .values(recipient_id=tombstone)
        )

    async def get(self, community_id: str, kudos_id: int) -> Kudos | None:
        found = await self._load(
            and_(t.kudos.c.community_id == community_id, t.kudos.c.id == kudos_id)
        )
        return found[0] if found else None

    async def set_hidden(self, community_id: str, kudos_id: int, hidden: bool) -> None:
        await self.connection.execute(
            update(t.kudos)
            .where(t.kudos.c.community_id == community_id, t.kudos.c.id == kudos_id)
            .values(hidden=hidden)
        )

    async def recent(self, community_id: str, limit: int) -> list[Kudos]:
        latest = (
            select(t.kudos.c.id)
            .where(t.kudos.c.community_id == community_id)
            .order_by(t.kudos.c.created_at.desc(), t.kudos.c.id.desc())
            .limit(limit)
        )
        ids = list(await self.connection.scalars(latest))
        if not ids:
            return []
        found = await self._load(t.kudos.c.id.in_(ids))
        return sorted(found, key=lambda k: (k.created_at, k.id or 0), reverse=True)


def _offer(row: Row[Any]) -> Offer:
    return Offer(
        id=row.id,
        community_id=row.community_id,
        owner_id=row.owner_id,
        text=row.text,
        created_at=row.created_at,
        expires_at=row.expires_at,
        closed_at=row.closed_at,
    )


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlOffers(_Repository):
    def _open(self, community_id: str, now: datetime) -> Any:
        return and_(
            t.offers.c.community_id == community_id,
            t.offers.c.closed_at.is_(None),
            t.offers.c.expires_at > now,
        )

    async def add(self, offer: Offer) -> Offer:
        offer_id = (
            await self.connection.execute(
                insert(t.offers)
                .values(
                    community_id=offer.community_id,
                    owner_id=offer.owner_id,
                    text=offer.text,
                    search_text=offer.text.casefold(),
                    created_at=offer.created_at,
                    expires_at=offer.expires_at,
                    closed_at=offer.closed_at,
                )
                .returning(t.offers.c.id)
            )
        ).scalar_one()
        return Offer(**{**offer.__dict__, "id": offer_id})

    async def get(self, community_id: str, offer_id: int) -> Offer | None:
        row = (
            await self.connection.execute(
                select(t.offers).where(
                    t.offers.c.community_id == community_id, t.offers.c.id == offer_id
                )
            )
        ).first()
        return _offer(row) if row else None

    async def save(self, offer: Offer) -> None:
        await self.connection.execute(
            update(t.offers)
            .where(t.offers.c.community_id == offer.community_id, t.offers.c.id == offer.id)
            .values(
                text=offer.text,
                search_text=offer.text.casefold(),
                expires_at=offer.expires_at,
                closed_at=offer.closed_at,
            )
        )

    async def count_open(self, community_id: str, owner_id: str, now: datetime) -> int:
        count = await self.connection.scalar(
            select(func.count())
            .select_from(t.offers)
            .where(self._open(community_id, now), t.offers.c.owner_id == owner_id)
        )
        return int(count or 0)

    async def search(
        self, community_id: str, words: Sequence[str], now: datetime, offset: int, limit: int
    ) -> list[Offer]:
        query = select(t.offers).where(self._open(community_id, now))
        for word in words:
            query = query.where(
                t.offers.c.search_text.contains(_escape_like(word.casefold()), escape="\\")
            )
        query = query.order_by(t.offers.c.created_at.desc(), t.offers.c.id.desc())
        rows = await self.connection.execute(query.offset(offset).limit(limit))
        return [_offer(r) for r in rows]

    async def owned_by(self, community_id: str, owner_id: str) -> list[Offer]:
        rows = await self.connection.execute(
            select(t.offers)
            .where(t.offers.c.community_id == community_id, t.offers.c.owner_id == owner_id)
            .order_by(t.offers.c.created_at.desc(), t.offers.c.id.desc())
        )
        return [_offer(r) for r in rows]

    async def delete_owned_by(self, community_id: str, owner_id: str) -> None:
        await self.connection.execute(
            delete(t.offers).where(
                t.offers.c.community_id == community_id, t.offers.c.owner_id == owner_id
            )
        )

    async def count_created_between(self, community_id: str, start: datetime, end: datetime) -> int:
        count = await self.connection.scalar(
            select(func.count())
            .select_from(t.offers)
            .where(
                t.offers.c.community_id == community_id,
                # Implied by created_at >= start (an offer expires after it is created); it
                # lets the (community, expires_at) index skip long-expired offers.
                t.offers.c.expires_at > start,
                t.offers.c.created_at >= start,
                t.offers.c.created_at < end,
            )
        )
        return int(count or 0)

    async def open_by_take_up(
        self, community_id: str, now: datetime, offset: int, limit: int
    ) -> list[tuple[Offer, int]]:
        received = t.kudos_recipients
        take_up = (
            select(func.count())
            .select_from(received)
            .where(
                received.c.community_id == t.offers.c.community_id,
                received.c.recipient_id == t.offers.c.owner_id,
                received.c.created_at >= t.offers.c.created_at,
                received.c.created_at < now,
            )
            .scalar_subquery()
            .label("take_up")
        )
        rows = await self.connection.execute(
            select(t.offers, take_up)
            .where(self._open(community_id, now))
            .order_by(take_up, t.offers.c.created_at, t.offers.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [(_offer(r), int(r.take_up)) for r in rows]


def _prompt(row: Row[Any]) -> Prompt:
    return Prompt(
        id=row.id,
        community_id=row.community_id,
        text=row.text,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
    )


class SqlPrompts(_Repository):
    async def add(self, prompt: Prompt) -> Prompt:
        prompt_id = (
            await self.connection.execute(
                insert(t.prompts)
                .values(
                    community_id=prompt.community_id,
                    text=prompt.text,
                    created_at=prompt.created_at,
                    last_used_at=prompt.last_used_at,
                )
                .returning(t.prompts.c.id)
            )
        ).scalar_one()
        return Prompt(**{**prompt.__dict__, "id": prompt_id})

    async def list(self, community_id: str) -> list[Prompt]:
        rows = await self.connection.execute(
            select(t.prompts).where(t.prompts.c.community_id == community_id).order_by("id")
        )
        return [_prompt(r) for r in rows]

    async def remove(self, community_id: str, prompt_id: int) -> bool:
        result = await self.connection.execute(
            delete(t.prompts).where(
                t.prompts.c.community_id == community_id, t.prompts.c.id == prompt_id
            )
        )
        return bool(result.rowcount)

    async def mark_used(self, community_id: str, prompt_id: int, at: datetime) -> None:
        await self.connection.execute(
            update(t.prompts)
            .where(t.prompts.c.community_id == community_id, t.prompts.c.id == prompt_id)
            .values(last_used_at=at)
        )


class SqlAudit(_Repository):
    async def add(self, entry: AuditEntry) -> None:
        await self.connection.execute(
            insert(t.audit_log).values(
                community_id=entry.community_id,
                actor_id=entry.actor_id,
                action=entry.action,
                detail=entry.detail,
                created_at=entry.created_at,
            )
        )

    async def list(self, community_id: str, limit: int = 50) -> list[AuditEntry]:
        rows = await self.connection.execute(
            select(t.audit_log)
            .where(t.audit_log.c.community_id == community_id)
            .order_by(t.audit_log.c.id.desc())
            .limit(limit)
        )
        return [
            AuditEntry(
                id=r.id,
                community_id=r.community_id,
                actor_id=r.actor_id,
                action=r.action,
                detail=r.detail,
                created_at=r.created_at,
            )
            for r in rows
        ]


class SqlDeliveries(_Repository):
    async def seen(self, community_id: str, delivery_id: str) -> bool:
        found = await self.connection.scalar(
            select(
                exists().where(
                    t.deliveries.c.community_id == community_id,
                    t.deliveries.c.delivery_id == delivery_id,
                )
            )
        )
        return bool(found)

    async def record(self, community_id: str, delivery_id: str, at: datetime) -> None:
        # A savepoint keeps the surrounding transaction usable when the key already exists.
        try:
            async with self.connection.begin_nested():
                await self.connection.execute(
                    insert(t.deliveries).values(
                        community_id=community_id, delivery_id=delivery_id, received_at=at
                    )
                )
        except IntegrityError as exc:
            raise DuplicateDeliveryError(delivery_id) from exc


class SqlState(_Repository):
    async def get(self, key: str) -> str | None:
        value = await self.connection.scalar(
            select(t.app_state.c.value).where(t.app_state.c.key == key)
        )
        return None if value is None else str(value)

    async def put(self, key: str, value: str) -> None:
        await self._upsert(t.app_state, {"key": key}, {"value": value})


__all__ = [
    "SqlAudit",
    "SqlCommunities",
    "SqlDeliveries",
    "SqlKudos",
    "SqlMembers",
    "SqlOffers",
    "SqlPrompts",
    "SqlState",
]
