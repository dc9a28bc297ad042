"""Repositories behind the core's ports, on one session (one transaction).

Statements are `Prepared`: built once here with named parameters and compiled once per
dialect (storage/compiled.py), so a call costs the driver's work and little else. Lists of
ids travel as one parameter (a JSON array read with json_each on SQLite, an array on
PostgreSQL), so the SQL does not change with their number.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Sequence
from datetime import datetime
from itertools import islice
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Executable,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    column,
    delete,
    exists,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.types import NullType

from bot.domain import AuditEntry, Community, Kudos, Member, Offer, Prompt
from bot.errors import DuplicateDeliveryError
from bot.ports import Thanks
from storage import tables as t
from storage.compiled import Prepared
from storage.sessions import Session


class _Repository:
    def __init__(self, connection: Session) -> None:
        self.connection = connection

    def _ids(self, ids: Sequence[Any]) -> Any:
        """A list of ids as the one parameter `_in_ids` expects on this dialect."""
        if self.connection.dialect.name == "postgresql":
            return list(ids)
        return json.dumps(list(ids))


def _in_ids(dialect: str, expression: Any, name: str, element: Any) -> ColumnElement[bool]:
    """`expression` is one of the ids in the parameter `name` (see _Repository._ids)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return expression == any_(bindparam(name, type_=ARRAY(element)))  # type: ignore[no-any-return]
    values = func.json_each(bindparam(name, type_=String)).table_valued("value")
    return expression.in_(select(values.c.value))  # type: ignore[no-any-return]


def _insert(dialect: str, table: Table) -> Any:
    """An INSERT that knows ON CONFLICT on both backends (they share its syntax)."""
    # Imported on first use: a SQLite deployment never loads PostgreSQL's dialect.
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def _upsert(table: Table, keys: Sequence[str]) -> Prepared:
    """INSERT every column as a parameter of its name; on a key clash, update the others."""

    def build(dialect: str) -> Executable:
        statement = _insert(dialect, table).values({c.name: bindparam(c.name) for c in table.c})
        others = {c.name: statement.excluded[c.name] for c in table.c if c.name not in keys}
        return statement.on_conflict_do_update(index_elements=list(keys), set_=others)  # type: ignore[no-any-return]

    return Prepared(build)


def _community(row: Any) -> Community:
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
        "id": community.id,
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


_C = t.communities.c
_COMMUNITY = Prepared(select(t.communities).where(_C.id == bindparam("id")))
_SAVE_COMMUNITY = _upsert(t.communities, ["id"])
_CREATE_COMMUNITY = Prepared(
    lambda dialect: (
        _insert(dialect, t.communities)
        .values({c.name: bindparam(c.name) for c in t.communities.c})
        .on_conflict_do_nothing(index_elements=["id"])
    )
)
_COMMUNITY_IDS = Prepared(select(_C.id).order_by(_C.id))
_DUE = Prepared(
    select(t.communities)
    .where(_C.next_digest_due_at <= bindparam("now", type_=_C.next_digest_due_at.type))
    .where(_C.paused.is_(False))
    .order_by(_C.next_digest_due_at)
)


class SqlCommunities(_Repository):
    async def get(self, community_id: str) -> Community | None:
        row = (await self.connection.execute(_COMMUNITY, {"id": community_id})).first()
        return _community(row) if row else None

    async def save(self, community: Community) -> None:
        await self.connection.execute(_SAVE_COMMUNITY, _community_values(community))

    async def get_or_create(self, default: Community) -> Community:
        # Two first commands at once must not overwrite each other (or an admin's change).
        await self.connection.execute(_CREATE_COMMUNITY, _community_values(default))
        stored = await self.get(default.id)
        assert stored is not None
        return stored

    async def all_ids(self) -> list[str]:
        return [str(i) for i in await self.connection.scalars(_COMMUNITY_IDS)]

    async def due(self, now: datetime) -> list[Community]:
        rows = await self.connection.execute(_DUE, {"now": now})
        return [_community(r) for r in rows]


def _member(row: Any) -> Member:
    return Member(
        community_id=row.community_id,
        id=row.member_id,
        display_name=row.display_name,
        is_bot=row.is_bot,
        is_admin=row.is_admin,
        opted_out=row.opted_out,
        first_seen_at=row.first_seen_at,
    )


_M = t.members.c
_MEMBER_KEY = and_(_M.community_id == bindparam("community"), _M.member_id == bindparam("member"))
_MEMBER = Prepared(select(t.members).where(_MEMBER_KEY))
_SAVE_MEMBER = _upsert(t.members, ["community_id", "member_id"])
_DELETE_MEMBER = Prepared(delete(t.members).where(_MEMBER_KEY))
_MANY_MEMBERS = Prepared(
    lambda dialect: select(t.members).where(
        _M.community_id == bindparam("community"),
        _in_ids(dialect, _M.member_id, "ids", String),
    )
)


class SqlMembers(_Repository):
    async def get(self, community_id: str, member_id: str) -> Member | None:
        row = (
            await self.connection.execute(_MEMBER, {"community": community_id, "member": member_id})
        ).first()
        return _member(row) if row else None

    async def save(self, member: Member) -> None:
        await self.connection.execute(
            _SAVE_MEMBER,
            {
                "community_id": member.community_id,
                "member_id": member.id,
                "display_name": member.display_name,
                "is_bot": member.is_bot,
                "is_admin": member.is_admin,
                "opted_out": member.opted_out,
                "first_seen_at": member.first_seen_at,
            },
        )

    async def delete(self, community_id: str, member_id: str) -> None:
        await self.connection.execute(
            _DELETE_MEMBER, {"community": community_id, "member": member_id}
        )

    async def many(self, community_id: str, member_ids: Sequence[str]) -> dict[str, Member]:
        if not member_ids:
            return {}
        rows = await self.connection.execute(
            _MANY_MEMBERS, {"community": community_id, "ids": self._ids(sorted(set(member_ids)))}
        )
        return {r.member_id: _member(r) for r in rows}


_K = t.kudos.c
_R = t.kudos_recipients.c
_AT = _K.created_at.type
_ADD_KUDOS = Prepared(
    insert(t.kudos)
    .values(
        community_id=bindparam("community_id"),
        giver_id=bindparam("giver_id"),
        reason=bindparam("reason"),
        tags=bindparam("tags"),
        unprompted=bindparam("unprompted"),
        hidden=bindparam("hidden"),
        created_at=bindparam("created_at"),
        delivery_id=bindparam("delivery_id"),
    )
    .returning(_K.id)
)
_ADD_RECIPIENT = Prepared(
    insert(t.kudos_recipients).values({c.name: bindparam(c.name) for c in t.kudos_recipients.c})
)
_GIVER = and_(_K.community_id == bindparam("community"), _K.giver_id == bindparam("giver"))
_COUNT_GIVEN_SINCE = Prepared(
    select(func.count())
    .select_from(t.kudos)
    .where(_GIVER, _K.created_at >= bindparam("since", type_=_AT))
)
_HAS_GIVEN_BEFORE = Prepared(
    select(exists().where(_GIVER, _K.created_at < bindparam("before", type_=_AT)))
)


def _givers_before(dialect: str) -> Executable:
    # One statement for any number of givers: the ids as a table (unnest / json_each), each
    # checked with an EXISTS that stops at the first row of the giver index.
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        ids = bindparam("ids", type_=ARRAY(String))
        table = (
            func.unnest(ids).table_valued(column("id", String), name="candidates").render_derived()
        )
        candidate = table.c.id
    else:
        table = func.json_each(bindparam("ids", type_=String)).table_valued(
            "value", name="candidates"
        )
        candidate = table.c.value
    gave = exists().where(
        _K.community_id == bindparam("community"),
        _K.giver_id == candidate,
        _K.created_at < bindparam("before", type_=_AT),
    )
    return select(candidate).where(gave)


_GIVERS_BEFORE = Prepared(_givers_before)
# Which kudos `_load` reads: each a WHERE over the kudos table, with named parameters.
_IN_COMMUNITY = _K.community_id == bindparam("community")
_SINCE = _K.created_at >= bindparam("since", type_=_AT)
_RECEIVED = select(_R.kudos_id).where(
    _R.community_id == bindparam("community"), _R.recipient_id == bindparam("member")
)
_RECEIVED_SINCE = select(_R.kudos_id).where(
    _R.community_id == bindparam("community"),
    _R.recipient_id == bindparam("member"),
    _R.created_at >= bindparam("since", type_=_AT),
)


def _kudos_where(where: Any) -> Select[Any]:
    return select(t.kudos).where(where).order_by(_K.created_at, _K.id)


_GIVEN_BY = Prepared(_kudos_where(_GIVER))
_GIVEN_BY_SINCE = Prepared(_kudos_where(and_(_GIVER, _SINCE)))
_RECEIVED_BY = Prepared(_kudos_where(and_(_IN_COMMUNITY, _K.id.in_(_RECEIVED))))
_RECEIVED_BY_SINCE = Prepared(_kudos_where(and_(_IN_COMMUNITY, _K.id.in_(_RECEIVED_SINCE))))
_BETWEEN = Prepared(
    _kudos_where(
        and_(
            _IN_COMMUNITY,
            _K.created_at >= bindparam("start", type_=_AT),
            _K.created_at < bindparam("end", type_=_AT),
        )
    )
)
_ONE_KUDOS = Prepared(_kudos_where(and_(_IN_COMMUNITY, _K.id == bindparam("id"))))
_KUDOS_BY_IDS = Prepared(lambda dialect: _kudos_where(_in_ids(dialect, _K.id, "ids", BigInteger)))
_RECIPIENTS = Prepared(
    lambda dialect: (
        select(_R.kudos_id, _R.recipient_id)
        .where(_in_ids(dialect, _R.kudos_id, "ids", BigInteger))
        .order_by(_R.kudos_id, _R.position)
    )
)
# The digest's read: one row per receiver, ids, dates and flags only.
_START = bindparam("start", type_=_AT)
_END = bindparam("end", type_=_AT)


def _thanks_between(dialect: str) -> Executable:
    joined = _R.kudos_id == _K.id
    created_at: Any = _K.created_at
    if dialect == "postgresql":
        # A receiver row carries its kudos' community and date: read by the receivers' own
        # (community_id, created_at) index, PostgreSQL joins two short range scans instead
        # of the week's kudos to a scan of every receiver row ever.
        joined = and_(
            joined,
            _R.community_id == bindparam("community"),
            _R.created_at >= _START,
            _R.created_at < _END,
        )
        # As timestamptz, which asyncpg decodes straight into aware UTC datetimes.
        created_at = func.timezone(literal_column("'UTC'"), _K.created_at)
    # (SQLite looks each kudos' receivers up in the primary key, which holds them all.)
    rows = (
        select(_K.id, _K.giver_id, _R.recipient_id, created_at, _K.unprompted)
        .select_from(t.kudos.outerjoin(t.kudos_recipients, joined))
        .where(_IN_COMMUNITY, _K.created_at >= _START, _K.created_at < _END, _K.hidden.is_(False))
        .order_by(_K.created_at, _K.id)
    )
    if dialect != "postgresql":
        return rows
    # PostgreSQL sends them as one row of five arrays: asyncpg decodes an array into a plain
    # list at C speed, where tens of thousands of row Records would each cost their decoding
    # and the garbage collector's attention.
    ordered = rows.subquery()
    return select(*(func.array_agg(c, type_=NullType()) for c in ordered.c))


_THANKS_BETWEEN = Prepared(_thanks_between, plain=True)
# Over a history of millions of kudos the planner's cost estimate for it passes PostgreSQL's
# JIT threshold, and compiling takes longer (~8 ms) than the query runs: off, for the rest
# of this transaction.
_NO_JIT = Prepared(select(func.set_config(*map(literal_column, ("'jit'", "'off'", "true")))))
_MANY_KUDOS = Prepared(
    lambda dialect: _kudos_where(and_(_IN_COMMUNITY, _in_ids(dialect, _K.id, "ids", BigInteger)))
)
_RECENT_IDS = Prepared(
    select(_K.id)
    .where(_IN_COMMUNITY)
    .order_by(_K.created_at.desc(), _K.id.desc())
    .limit(bindparam("limit"))
)
_SET_HIDDEN = Prepared(
    update(t.kudos)
    .where(_IN_COMMUNITY, _K.id == bindparam("id"))
    .values(hidden=bindparam("hidden"))
)
_ERASE_GIVER = Prepared(
    update(t.kudos)
    .where(_IN_COMMUNITY, _K.giver_id == bindparam("member"))
    .values(giver_id=bindparam("tombstone"), reason="", tags="", delivery_id=None)
)
_RECIPIENT_OF_COMMUNITY = and_(
    _R.community_id == bindparam("community"), _R.recipient_id == bindparam("member")
)
# A kudos may already name the tombstone (another forgotten member): keep keys unique.
_DROP_CLASHING_RECIPIENT = Prepared(
    delete(t.kudos_recipients).where(
        _RECIPIENT_OF_COMMUNITY,
        _R.kudos_id.in_(
            select(_R.kudos_id).where(_R.recipient_id == bindparam("tombstone")).scalar_subquery()
        ),
    )
)
_ERASE_RECIPIENT = Prepared(
    update(t.kudos_recipients)
    .where(_RECIPIENT_OF_COMMUNITY)
    .values(recipient_id=bindparam("tombstone"))
)
_LOCK_GIVER = Prepared(
    select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("key", type_=String), 0)))
)
CHUNK = 5000


class SqlKudos(_Repository):
    async def add(self, kudos: Kudos) -> Kudos:
        kudos_id = (
            await self.connection.execute(
                _ADD_KUDOS,
                {
                    "community_id": kudos.community_id,
                    "giver_id": kudos.giver_id,
                    "reason": kudos.reason,
                    "tags": " ".join(kudos.tags),
                    "unprompted": kudos.unprompted,
                    "hidden": kudos.hidden,
                    "created_at": kudos.created_at,
                    "delivery_id": kudos.delivery_id,
                },
            )
        ).scalar_one()
        await self.connection.execute(
            _ADD_RECIPIENT,
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
            _COUNT_GIVEN_SINCE, {"community": community_id, "giver": giver_id, "since": since}
        )
        return int(count or 0)

    async def _load(self, statement: Prepared, values: dict[str, Any]) -> list[Kudos]:
        rows = (await self.connection.execute(statement, values)).all()
        if not rows:
            return []
        recipients: dict[int, list[str]] = {r.id: [] for r in rows}
        ids = list(recipients)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            for rec in await self.connection.execute(_RECIPIENTS, {"ids": self._ids(chunk)}):
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
        values = {"community": community_id, "giver": giver_id}
        if since is None:
            return await self._load(_GIVEN_BY, values)
        return await self._load(_GIVEN_BY_SINCE, {**values, "since": since})

    async def received_by(
        self, community_id: str, recipient_id: str, since: datetime | None = None
    ) -> list[Kudos]:
        values = {"community": community_id, "member": recipient_id}
        if since is None:
            return await self._load(_RECEIVED_BY, values)
        return await self._load(_RECEIVED_BY_SINCE, {**values, "since": since})

    async def between(self, community_id: str, start: datetime, end: datetime) -> list[Kudos]:
        return await self._load(_BETWEEN, {"community": community_id, "start": start, "end": end})

    async def has_given_before(self, community_id: str, giver_id: str, before: datetime) -> bool:
        found = await self.connection.scalar(
            _HAS_GIVEN_BEFORE, {"community": community_id, "giver": giver_id, "before": before}
        )
        return bool(found)

    async def givers_before(
        self, community_id: str, giver_ids: Sequence[str], before: datetime
    ) -> set[str]:
        ids = sorted(set(giver_ids))
        if not ids:
            return set()
        rows = await self.connection.execute(
            _GIVERS_BEFORE, {"community": community_id, "ids": self._ids(ids), "before": before}
        )
        return {str(r[0]) for r in rows}

    async def thanks_between(
        self, community_id: str, start: datetime, end: datetime
    ) -> list[Thanks]:
        postgresql = self.connection.dialect.name == "postgresql"
        if postgresql:
            await self.connection.execute(_NO_JIT, {})
        result = await self.connection.execute(
            _THANKS_BETWEEN, {"community": community_id, "start": start, "end": end}
        )
        if not postgresql:
            return cast("list[Thanks]", result.all())  # tuples in the port's order already
        ids, givers, receivers, times, flags = result.one()
        if ids is None:  # no rows: array_agg gives NULL
            return []
        rows = list(zip(ids, givers, receivers, times, flags, strict=True))
        # The arrays keep the order of the sorted rows they aggregate (PostgreSQL aggregates
        # a sorted subquery in its order). SQL does not promise it: checked on the dates.
        if not all(map(operator.le, times, islice(times, 1, None))):
            rows.sort(key=operator.itemgetter(3, 0))
        return rows

    async def many(self, community_id: str, kudos_ids: Sequence[int]) -> dict[int, Kudos]:
        if not kudos_ids:
            return {}
        ids = self._ids(sorted(set(kudos_ids)))
        found = await self._load(_MANY_KUDOS, {"community": community_id, "ids": ids})
        return {k.id or 0: k for k in found}

    async def erase_member(self, community_id: str, member_id: str, tombstone: str) -> None:
        values = {"community": community_id, "member": member_id, "tombstone": tombstone}
        await self.connection.execute(_ERASE_GIVER, values)
        await self.connection.execute(_DROP_CLASHING_RECIPIENT, values)
        await self.connection.execute(_ERASE_RECIPIENT, values)

    async def get(self, community_id: str, kudos_id: int) -> Kudos | None:
        found = await self._load(_ONE_KUDOS, {"community": community_id, "id": kudos_id})
        return found[0] if found else None

    async def set_hidden(self, community_id: str, kudos_id: int, hidden: bool) -> None:
        await self.connection.execute(
            _SET_HIDDEN, {"community": community_id, "id": kudos_id, "hidden": hidden}
        )

    async def recent(self, community_id: str, limit: int) -> list[Kudos]:
        ids = list(
            await self.connection.scalars(_RECENT_IDS, {"community": community_id, "limit": limit})
        )
        if not ids:
            return []
        found = await self._load(_KUDOS_BY_IDS, {"ids": self._ids(ids)})
        return sorted(found, key=lambda k: (k.created_at, k.id or 0), reverse=True)

    async def lock_giver(self, community_id: str, giver_id: str) -> None:
        # SQLite runs one writer at a time anyway (every transaction begins IMMEDIATE);
        # PostgreSQL takes a transaction-scoped advisory lock on the giver.
        if self.connection.dialect.name == "postgresql":
            await self.connection.execute(
                _LOCK_GIVER, {"key": f"kudos-giver:{community_id}:{giver_id}"}
            )


def _offer(row: Any) -> Offer:
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


_O = t.offers.c
_NOW = bindparam("now", type_=_AT)
_OPEN = and_(
    _O.community_id == bindparam("community"), _O.closed_at.is_(None), _O.expires_at > _NOW
)
_OWNER = and_(_O.community_id == bindparam("community"), _O.owner_id == bindparam("owner"))
_NEWEST_FIRST = (_O.created_at.desc(), _O.id.desc())
_ADD_OFFER = Prepared(
    insert(t.offers)
    .values({c.name: bindparam(c.name) for c in t.offers.c if c.name != "id"})
    .returning(_O.id)
)
_OFFER = Prepared(
    select(t.offers).where(_O.community_id == bindparam("community"), _O.id == bindparam("id"))
)
_SAVE_OFFER = Prepared(
    update(t.offers)
    .where(_O.community_id == bindparam("community"), _O.id == bindparam("id"))
    .values(
        text=bindparam("text"),
        search_text=bindparam("search_text"),
        expires_at=bindparam("expires_at"),
        closed_at=bindparam("closed_at"),
    )
)
_COUNT_OPEN = Prepared(
    select(func.count()).select_from(t.offers).where(_OPEN, _O.owner_id == bindparam("owner"))
)
_OWNED_BY = Prepared(select(t.offers).where(_OWNER).order_by(*_NEWEST_FIRST))
_DELETE_OWNED_BY = Prepared(delete(t.offers).where(_OWNER))
_COUNT_CREATED_BETWEEN = Prepared(
    select(func.count())
    .select_from(t.offers)
    .where(
        _O.community_id == bindparam("community"),
        # Implied by created_at >= start (an offer expires after it is created); it lets
        # the (community, expires_at) index skip long-expired offers.
        _O.expires_at > bindparam("start", type_=_AT),
        _O.created_at >= bindparam("start", type_=_AT),
        _O.created_at < bindparam("end", type_=_AT),
    )
)


def _open_by_take_up() -> Executable:
    take_up = (
        select(func.count())
        .select_from(t.kudos_recipients)
        .where(
            _R.community_id == _O.community_id,
            _R.recipient_id == _O.owner_id,
            _R.created_at >= _O.created_at,
            _R.created_at < _NOW,
        )
        .scalar_subquery()
        .label("take_up")
    )
    return (
        select(t.offers, take_up)
        .where(_OPEN)
        .order_by(take_up, _O.created_at, _O.id)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )


_OPEN_BY_TAKE_UP = Prepared(_open_by_take_up())


class SqlOffers(_Repository):
    async def add(self, offer: Offer) -> Offer:
        offer_id = (
            await self.connection.execute(
                _ADD_OFFER,
                {
                    "community_id": offer.community_id,
                    "owner_id": offer.owner_id,
                    "text": offer.text,
                    "search_text": offer.text.casefold(),
                    "created_at": offer.created_at,
                    "expires_at": offer.expires_at,
                    "closed_at": offer.closed_at,
                },
            )
        ).scalar_one()
        return Offer(**{**offer.__dict__, "id": offer_id})

    async def get(self, community_id: str, offer_id: int) -> Offer | None:
        row = (
            await self.connection.execute(_OFFER, {"community": community_id, "id": offer_id})
        ).first()
        return _offer(row) if row else None

    async def save(self, offer: Offer) -> None:
        await self.connection.execute(
            _SAVE_OFFER,
            {
                "community": offer.community_id,
                "id": offer.id,
                "text": offer.text,
                "search_text": offer.text.casefold(),
                "expires_at": offer.expires_at,
                "closed_at": offer.closed_at,
            },
        )

    async def count_open(self, community_id: str, owner_id: str, now: datetime) -> int:
        count = await self.connection.scalar(
            _COUNT_OPEN, {"community": community_id, "owner": owner_id, "now": now}
        )
        return int(count or 0)

    async def search(
        self, community_id: str, words: Sequence[str], now: datetime, offset: int, limit: int
    ) -> list[Offer]:
        # The number of words shapes the SQL: planned once per shape (storage/compiled.py).
        query = select(t.offers).where(
            _O.community_id == community_id, _O.closed_at.is_(None), _O.expires_at > now
        )
        for word in words:
            query = query.where(_O.search_text.contains(_escape_like(word.casefold()), escape="\\"))
        query = query.order_by(*_NEWEST_FIRST)
        rows = await self.connection.execute(query.offset(offset).limit(limit))
        return [_offer(r) for r in rows]

    async def owned_by(self, community_id: str, owner_id: str) -> list[Offer]:
        rows = await self.connection.execute(
            _OWNED_BY, {"community": community_id, "owner": owner_id}
        )
        return [_offer(r) for r in rows]

    async def delete_owned_by(self, community_id: str, owner_id: str) -> None:
        await self.connection.execute(
            _DELETE_OWNED_BY, {"community": community_id, "owner": owner_id}
        )

    async def count_created_between(self, community_id: str, start: datetime, end: datetime) -> int:
        count = await self.connection.scalar(
            _COUNT_CREATED_BETWEEN, {"community": community_id, "start": start, "end": end}
        )
        return int(count or 0)

    async def open_by_take_up(
        self, community_id: str, now: datetime, offset: int, limit: int
    ) -> list[tuple[Offer, int]]:
        rows = await self.connection.execute(
            _OPEN_BY_TAKE_UP,
            {"community": community_id, "now": now, "offset": offset, "limit": limit},
        )
        return [(_offer(r), int(r.take_up)) for r in rows]


def _prompt(row: Any) -> Prompt:
    return Prompt(
        id=row.id,
        community_id=row.community_id,
        text=row.text,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
    )


_P = t.prompts.c
_ONE_PROMPT = and_(_P.community_id == bindparam("community"), _P.id == bindparam("id"))
_ADD_PROMPT = Prepared(
    insert(t.prompts)
    .values({c.name: bindparam(c.name) for c in t.prompts.c if c.name != "id"})
    .returning(_P.id)
)
_PROMPTS = Prepared(
    select(t.prompts).where(_P.community_id == bindparam("community")).order_by(_P.id)
)
_REMOVE_PROMPT = Prepared(delete(t.prompts).where(_ONE_PROMPT))
_MARK_PROMPT_USED = Prepared(
    update(t.prompts).where(_ONE_PROMPT).values(last_used_at=bindparam("at", type_=_AT))
)


class SqlPrompts(_Repository):
    async def add(self, prompt: Prompt) -> Prompt:
        prompt_id = (
            await self.connection.execute(
                _ADD_PROMPT,
                {
                    "community_id": prompt.community_id,
                    "text": prompt.text,
                    "created_at": prompt.created_at,
                    "last_used_at": prompt.last_used_at,
                },
            )
        ).scalar_one()
        return Prompt(**{**prompt.__dict__, "id": prompt_id})

    async def list(self, community_id: str) -> list[Prompt]:
        rows = await self.connection.execute(_PROMPTS, {"community": community_id})
        return [_prompt(r) for r in rows]

    async def remove(self, community_id: str, prompt_id: int) -> bool:
        result = await self.connection.execute(
            _REMOVE_PROMPT, {"community": community_id, "id": prompt_id}
        )
        return bool(result.rowcount)

    async def mark_used(self, community_id: str, prompt_id: int, at: datetime) -> None:
        await self.connection.execute(
            _MARK_PROMPT_USED, {"community": community_id, "id": prompt_id, "at": at}
        )


_A = t.audit_log.c
_ADD_AUDIT = Prepared(
    insert(t.audit_log).values({c.name: bindparam(c.name) for c in t.audit_log.c if c.name != "id"})
)
_AUDIT = Prepared(
    select(t.audit_log)
    .where(_A.community_id == bindparam("community"))
    .order_by(_A.id.desc())
    .limit(bindparam("limit"))
)


class SqlAudit(_Repository):
    async def add(self, entry: AuditEntry) -> None:
        await self.connection.execute(
            _ADD_AUDIT,
            {
                "community_id": entry.community_id,
                "actor_id": entry.actor_id,
                "action": entry.action,
                "detail": entry.detail,
                "created_at": entry.created_at,
            },
        )

    async def list(self, community_id: str, limit: int = 50) -> list[AuditEntry]:
        rows = await self.connection.execute(_AUDIT, {"community": community_id, "limit": limit})
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


_D = t.deliveries.c
_SEEN = Prepared(
    select(
        exists().where(
            _D.community_id == bindparam("community"), _D.delivery_id == bindparam("delivery")
        )
    )
)
# ON CONFLICT DO NOTHING instead of a savepoint around a failing INSERT: one statement, and
# a clash (also with another process's insert, once it commits) shows as no row inserted.
_RECORD_DELIVERY = Prepared(
    lambda dialect: (
        _insert(dialect, t.deliveries)
        .values(
            community_id=bindparam("community"),
            delivery_id=bindparam("delivery"),
            received_at=bindparam("at", type_=_AT),
        )
        .on_conflict_do_nothing(index_elements=["community_id", "delivery_id"])
    )
)


class SqlDeliveries(_Repository):
    async def seen(self, community_id: str, delivery_id: str) -> bool:
        found = await self.connection.scalar(
            _SEEN, {"community": community_id, "delivery": delivery_id}
        )
        return bool(found)

    async def record(self, community_id: str, delivery_id: str, at: datetime) -> None:
        result = await self.connection.execute(
            _RECORD_DELIVERY, {"community": community_id, "delivery": delivery_id, "at": at}
        )
        if result.rowcount == 0:
            raise DuplicateDeliveryError(delivery_id)


_STATE = Prepared(select(t.app_state.c.value).where(t.app_state.c.key == bindparam("key")))
_PUT_STATE = _upsert(t.app_state, ["key"])


class SqlState(_Repository):
    async def get(self, key: str) -> str | None:
        value = await self.connection.scalar(_STATE, {"key": key})
        return None if value is None else str(value)

    async def put(self, key: str, value: str) -> None:
        await self.connection.execute(_PUT_STATE, {"key": key, "value": value})


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
