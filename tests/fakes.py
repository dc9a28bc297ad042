"""In-memory fakes of every port in `bot.ports`, with the semantics of the real SQL store.

A `FakeStore` holds the committed state that every unit of work shares. A `FakeUnitOfWork`
copies that state when it is entered and works on the copy; `commit()` swaps the copy in,
and leaving `async with` without committing discards it, as a rolled-back transaction would.
Ids are auto-incremented integers handed out on `add` (like database sequences, a rolled
back add still uses up its id). Unique keys (deliveries, digest claims) are checked against
both the transaction's own writes and what others have committed meanwhile.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from bot.digest.model import DigestRecord
from bot.domain import (
    AuditEntry,
    Community,
    CommunityId,
    Kudos,
    Member,
    MemberId,
    MemberInfo,
    Offer,
    Prompt,
    platform_of,
)
from bot.errors import DuplicateDeliveryError, StoreUnavailableError
from bot.handlers.context import Ports
from bot.ports import (
    AuditRepository,
    CommunityRepository,
    DeliveryRepository,
    DigestRepository,
    KudosRepository,
    MemberRepository,
    OfferRepository,
    PromptRepository,
    StateRepository,
    Thanks,
)

DEFAULT_NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)  # a Monday, noon UTC


def _aware(value: datetime, what: str) -> datetime:
    """The real store keeps instants; a naive datetime is a bug in the caller."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value!r}")
    return value


@dataclass
class StoreState:
    """Every table, keyed like its primary key. Values are frozen, so a shallow copy is a
    snapshot."""

    communities: dict[CommunityId, Community] = field(default_factory=dict)
    members: dict[tuple[CommunityId, MemberId], Member] = field(default_factory=dict)
    kudos: dict[int, Kudos] = field(default_factory=dict)
    offers: dict[int, Offer] = field(default_factory=dict)
    prompts: dict[int, Prompt] = field(default_factory=dict)
    audit: dict[int, AuditEntry] = field(default_factory=dict)
    deliveries: dict[tuple[CommunityId, str], datetime] = field(default_factory=dict)
    digests: dict[tuple[CommunityId, datetime], DigestRecord] = field(default_factory=dict)
    app_state: dict[str, str] = field(default_factory=dict)

    def copy(self) -> StoreState:
        return StoreState(**{f.name: dict(getattr(self, f.name)) for f in fields(self)})


class FakeStore:
    """The shared database. `uow` is the `UnitOfWorkFactory` to put into `Ports`."""

    def __init__(self) -> None:
        self.state = StoreState()
        self.unavailable = False  # True: every unit of work raises StoreUnavailableError
        self.commits = 0
        self._sequences: dict[str, Iterator[int]] = {}

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def next_id(self, table: str) -> int:
        return next(self._sequences.setdefault(table, itertools.count(1)))

    # Read-only views of what is committed, for assertions.
    def kudos(self, community_id: CommunityId | None = None) -> list[Kudos]:
        return [k for k in self.state.kudos.values() if community_id in (None, k.community_id)]

    def offers(self, community_id: CommunityId | None = None) -> list[Offer]:
        return [o for o in self.state.offers.values() if community_id in (None, o.community_id)]

    def audit(self, community_id: CommunityId | None = None) -> list[AuditEntry]:
        return [a for a in self.state.audit.values() if community_id in (None, a.community_id)]


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self._state: StoreState | None = None
        self.committed = False
        self.communities: CommunityRepository = FakeCommunityRepository(self)
        self.members: MemberRepository = FakeMemberRepository(self)
        self.kudos: KudosRepository = FakeKudosRepository(self)
        self.offers: OfferRepository = FakeOfferRepository(self)
        self.prompts: PromptRepository = FakePromptRepository(self)
        self.audit: AuditRepository = FakeAuditRepository(self)
        self.deliveries: DeliveryRepository = FakeDeliveryRepository(self)
        self.digests: DigestRepository = FakeDigestRepository(self)
        self.state: StateRepository = FakeStateRepository(self)

    @property
    def store(self) -> FakeStore:
        return self._store

    @property
    def data(self) -> StoreState:
        """This transaction's own view of every table."""
        if self._state is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._state

    async def __aenter__(self) -> Self:
        if self._store.unavailable:
            raise StoreUnavailableError("the fake store is switched off")
        if self._state is not None:
            raise RuntimeError("this unit of work is already in use")
        self._state = self._store.state.copy()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._state = None  # anything not committed is rolled back

    async def commit(self) -> None:
        state = self.data
        self._store.state = state
        self._store.commits += 1
        self._state = state.copy()
        self.committed = True


class _Repository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def _state(self) -> StoreState:
        return self._uow.data

    def _next_id(self, table: str) -> int:
        return self._uow.store.next_id(table)


class FakeCommunityRepository(_Repository):
    async def get(self, community_id: CommunityId) -> Community | None:
        return self._state.communities.get(community_id)

    async def save(self, community: Community) -> None:
        if community.next_digest_due_at is not None:
            _aware(community.next_digest_due_at, "next_digest_due_at")
        self._state.communities[community.id] = community

    async def get_or_create(self, default: Community) -> Community:
        """The stored community; `default` is inserted only when there is none, here or
        committed by another transaction meanwhile (like INSERT ... ON CONFLICT DO NOTHING)."""
        table = self._state.communities
        if default.id not in table:
            committed = self._uow.store.state.communities.get(default.id)
            if committed is None:
                await self.save(default)
            else:
                table[default.id] = committed
        return table[default.id]

    async def all_ids(self) -> list[CommunityId]:
        return sorted(self._state.communities)

    async def due(self, now: datetime) -> list[Community]:
        """Communities not paused whose next digest is due at or before `now`, earliest
        first."""
        _aware(now, "now")
        due = [
            c
            for c in self._state.communities.values()
            if not c.paused and c.next_digest_due_at is not None and c.next_digest_due_at <= now
        ]
        return sorted(due, key=lambda c: (c.next_digest_due_at or now, c.id))


class FakeMemberRepository(_Repository):
    async def get(self, community_id: CommunityId, member_id: MemberId) -> Member | None:
        return self._state.members.get((community_id, member_id))

    async def save(self, member: Member) -> None:
        if member.first_seen_at is not None:
            _aware(member.first_seen_at, "first_seen_at")
        self._state.members[(member.community_id, member.id)] = member

    async def delete(self, community_id: CommunityId, member_id: MemberId) -> None:
        self._state.members.pop((community_id, member_id), None)

    async def many(
        self, community_id: CommunityId, member_ids: Sequence[MemberId]
    ) -> dict[MemberId, Member]:
        members = self._state.members
        return {i: members[(community_id, i)] for i in member_ids if (community_id, i) in members}


def _oldest_first(kudos: Iterable[Kudos]) -> list[Kudos]:
    return sorted(kudos, key=lambda k: (k.created_at, k.id or 0))


class FakeKudosRepository(_Repository):
    def _in(self, community_id: CommunityId) -> Iterator[Kudos]:
        return (k for k in self._state.kudos.values() if k.community_id == community_id)

    async def add(self, kudos: Kudos) -> Kudos:
        _aware(kudos.created_at, "created_at")
        stored = replace(kudos, id=self._next_id("kudos"))
        self._state.kudos[stored.id or 0] = stored
        return stored

    async def count_given_since(
        self, community_id: CommunityId, giver_id: MemberId, since: datetime
    ) -> int:
        _aware(since, "since")
        return sum(
            1 for k in self._in(community_id) if k.giver_id == giver_id and k.created_at >= since
        )

    async def given_by(
        self, community_id: CommunityId, giver_id: MemberId, since: datetime | None = None
    ) -> list[Kudos]:
        return _oldest_first(
            k
            for k in self._in(community_id)
            if k.giver_id == giver_id and (since is None or k.created_at >= since)
        )

    async def received_by(
        self, community_id: CommunityId, recipient_id: MemberId, since: datetime | None = None
    ) -> list[Kudos]:
        return _oldest_first(
            k
            for k in self._in(community_id)
            if recipient_id in k.recipient_ids and (since is None or k.created_at >= since)
        )

    async def between(
        self, community_id: CommunityId, start: datetime, end: datetime
    ) -> list[Kudos]:
        """Kudos created in [start, end), oldest first."""
        _aware(start, "start")
        _aware(end, "end")
        return _oldest_first(k for k in self._in(community_id) if start <= k.created_at < end)

    async def has_given_before(
        self, community_id: CommunityId, giver_id: MemberId, before: datetime
    ) -> bool:
        _aware(before, "before")
        return any(k.giver_id == giver_id and k.created_at < before for k in self._in(community_id))

    async def givers_before(
        self, community_id: CommunityId, giver_ids: Sequence[MemberId], before: datetime
    ) -> set[MemberId]:
        _aware(before, "before")
        wanted = set(giver_ids)
        return {
            k.giver_id
            for k in self._in(community_id)
            if k.giver_id in wanted and k.created_at < before
        }

    async def thanks_between(
        self, community_id: CommunityId, start: datetime, end: datetime
    ) -> list[Thanks]:
        _aware(start, "start")
        _aware(end, "end")
        rows: list[Thanks] = []
        for k in _oldest_first(self._in(community_id)):
            if k.hidden or not start <= k.created_at < end:
                continue
            receivers: tuple[MemberId | None, ...] = k.recipient_ids or (None,)
            rows.extend((k.id or 0, k.giver_id, r, k.created_at, k.unprompted) for r in receivers)
        return rows

    async def many(self, community_id: CommunityId, kudos_ids: Sequence[int]) -> dict[int, Kudos]:
        found = (self._state.kudos.get(i) for i in kudos_ids)
        return {k.id or 0: k for k in found if k and k.community_id == community_id}

    async def erase_member(
        self, community_id: CommunityId, member_id: MemberId, tombstone: MemberId
    ) -> None:
        """Kudos they gave lose giver, reason, tags and delivery id; kudos they received name
        the tombstone instead of them (once: a kudos already naming it keeps one entry)."""
        table = self._state.kudos
        for kudos_id, k in list(table.items()):
            if k.community_id != community_id:
                continue
            if k.giver_id == member_id:
                k = replace(k, giver_id=tombstone, reason="", tags=(), delivery_id=None)
            if member_id in k.recipient_ids:
                swapped = (tombstone if r == member_id else r for r in k.recipient_ids)
                k = replace(k, recipient_ids=tuple(dict.fromkeys(swapped)))
            table[kudos_id] = k

    async def get(self, community_id: CommunityId, kudos_id: int) -> Kudos | None:
        kudos = self._state.kudos.get(kudos_id)
        return kudos if kudos is not None and kudos.community_id == community_id else None

    async def set_hidden(self, community_id: CommunityId, kudos_id: int, hidden: bool) -> None:
        kudos = await self.get(community_id, kudos_id)
        if kudos is not None:
            self._state.kudos[kudos_id] = replace(kudos, hidden=hidden)

    async def recent(self, community_id: CommunityId, limit: int) -> list[Kudos]:
        """The latest `limit` kudos, newest first."""
        return list(reversed(_oldest_first(self._in(community_id))))[:limit]

    async def lock_giver(self, community_id: CommunityId, giver_id: MemberId) -> None:
        """Nothing to do: fake transactions never run at the same time."""


class FakeOfferRepository(_Repository):
    def _in(self, community_id: CommunityId) -> Iterator[Offer]:
        return (o for o in self._state.offers.values() if o.community_id == community_id)

    async def add(self, offer: Offer) -> Offer:
        _aware(offer.created_at, "created_at")
        _aware(offer.expires_at, "expires_at")
        stored = replace(offer, id=self._next_id("offers"))
        self._state.offers[stored.id or 0] = stored
        return stored

    async def get(self, community_id: CommunityId, offer_id: int) -> Offer | None:
        offer = self._state.offers.get(offer_id)
        return offer if offer is not None and offer.community_id == community_id else None

    async def save(self, offer: Offer) -> None:
        """Updates text, expiry and closing of an added offer (an unknown one: nothing)."""
        _aware(offer.expires_at, "expires_at")
        if offer.closed_at is not None:
            _aware(offer.closed_at, "closed_at")
        stored = self._state.offers.get(offer.id or 0)
        if stored is not None and stored.community_id == offer.community_id:
            self._state.offers[stored.id or 0] = replace(
                stored, text=offer.text, expires_at=offer.expires_at, closed_at=offer.closed_at
            )

    async def count_open(self, community_id: CommunityId, owner_id: MemberId, now: datetime) -> int:
        _aware(now, "now")
        return sum(1 for o in self._in(community_id) if o.owner_id == owner_id and o.is_open(now))

    async def search(
        self,
        community_id: CommunityId,
        words: Sequence[str],
        now: datetime,
        offset: int,
        limit: int,
    ) -> list[Offer]:
        """Open offers containing every word (case-insensitive, plain substrings: no
        wildcards), newest first."""
        _aware(now, "now")
        needles = [w.casefold() for w in words]
        found = [
            o
            for o in self._in(community_id)
            if o.is_open(now) and all(n in o.text.casefold() for n in needles)
        ]
        found.sort(key=lambda o: (o.created_at, o.id or 0), reverse=True)
        return found[offset : offset + limit]

    async def owned_by(self, community_id: CommunityId, owner_id: MemberId) -> list[Offer]:
        """All their offers, closed and expired ones included, newest first."""
        return sorted(
            (o for o in self._in(community_id) if o.owner_id == owner_id),
            key=lambda o: (o.created_at, o.id or 0),
            reverse=True,
        )

    async def delete_owned_by(self, community_id: CommunityId, owner_id: MemberId) -> None:
        table = self._state.offers
        for offer_id, o in list(table.items()):
            if o.community_id == community_id and o.owner_id == owner_id:
                del table[offer_id]

    async def count_created_between(
        self, community_id: CommunityId, start: datetime, end: datetime
    ) -> int:
        _aware(start, "start")
        _aware(end, "end")
        return sum(1 for o in self._in(community_id) if start <= o.created_at < end)

    async def open_by_take_up(
        self, community_id: CommunityId, now: datetime, offset: int, limit: int
    ) -> list[tuple[Offer, int]]:
        """Open offers with the kudos their owner received in [offer created, now), least
        first, then oldest first."""
        _aware(now, "now")
        kudos = [k for k in self._state.kudos.values() if k.community_id == community_id]
        ranked = [
            (
                o,
                sum(
                    1
                    for k in kudos
                    if o.owner_id in k.recipient_ids and o.created_at <= k.created_at < now
                ),
            )
            for o in self._in(community_id)
            if o.is_open(now)
        ]
        ranked.sort(key=lambda pair: (pair[1], pair[0].created_at, pair[0].id or 0))
        return ranked[offset : offset + limit]


class FakePromptRepository(_Repository):
    async def add(self, prompt: Prompt) -> Prompt:
        _aware(prompt.created_at, "created_at")
        stored = replace(prompt, id=self._next_id("prompts"))
        self._state.prompts[stored.id or 0] = stored
        return stored

    async def list(self, community_id: CommunityId) -> list[Prompt]:
        """The community's prompts in the order they were added."""
        return sorted(
            (p for p in self._state.prompts.values() if p.community_id == community_id),
            key=lambda p: p.id or 0,
        )

    async def remove(self, community_id: CommunityId, prompt_id: int) -> bool:
        prompt = self._state.prompts.get(prompt_id)
        if prompt is None or prompt.community_id != community_id:
            return False
        del self._state.prompts[prompt_id]
        return True

    async def mark_used(self, community_id: CommunityId, prompt_id: int, at: datetime) -> None:
        _aware(at, "at")
        prompt = self._state.prompts.get(prompt_id)
        if prompt is not None and prompt.community_id == community_id:
            self._state.prompts[prompt_id] = replace(prompt, last_used_at=at)


class FakeAuditRepository(_Repository):
    async def add(self, entry: AuditEntry) -> None:
        _aware(entry.created_at, "created_at")
        entry_id = self._next_id("audit")
        self._state.audit[entry_id] = replace(entry, id=entry_id)

    async def list(self, community_id: CommunityId, limit: int = 50) -> list[AuditEntry]:
        """Newest (highest id) first."""
        entries = [a for a in self._state.audit.values() if a.community_id == community_id]
        entries.sort(key=lambda a: a.id or 0, reverse=True)
        return entries[:limit]


class FakeDeliveryRepository(_Repository):
    async def seen(self, community_id: CommunityId, delivery_id: str) -> bool:
        return (community_id, delivery_id) in self._state.deliveries

    async def record(self, community_id: CommunityId, delivery_id: str, at: datetime) -> None:
        """Like a unique key: a repeat in this transaction, or one another transaction has
        committed since this one began, raises DuplicateDeliveryError."""
        _aware(at, "at")
        key = (community_id, delivery_id)
        if key in self._state.deliveries or key in self._uow.store.state.deliveries:
            raise DuplicateDeliveryError(delivery_id)
        self._state.deliveries[key] = at


class FakeDigestRepository(_Repository):
    async def claim(
        self, community_id: CommunityId, period_start: datetime, claimed_by: str, now: datetime
    ) -> bool:
        _aware(period_start, "period_start")
        _aware(now, "now")
        key = (community_id, period_start)
        # Taken here or by someone else meanwhile, unless its claimant released it.
        for taken in (self._state.digests.get(key), self._uow.store.state.digests.get(key)):
            if taken is not None and taken.status != "released":
                return False
        self._state.digests[key] = DigestRecord(
            community_id=community_id,
            period_start=period_start,
            status="claimed",
            claimed_by=claimed_by,
            claimed_at=now,
        )
        return True

    async def get(self, community_id: CommunityId, period_start: datetime) -> DigestRecord | None:
        return self._state.digests.get((community_id, period_start))

    async def save(self, record: DigestRecord) -> None:
        """Updates a claimed record (one never claimed: nothing)."""
        key = (record.community_id, record.period_start)
        if key in self._state.digests:
            self._state.digests[key] = record

    async def last_posted(self, community_id: CommunityId, before: datetime) -> DigestRecord | None:
        _aware(before, "before")
        posted = [
            r
            for (cid, start), r in self._state.digests.items()
            if cid == community_id and r.status == "posted" and start < before
        ]
        # Posted before period ends were stored: counts as ending a week after it began.
        return max(
            posted,
            key=lambda r: r.period_end or r.period_start + timedelta(days=7),
            default=None,
        )

    async def retryable(
        self, now: datetime, platforms: Sequence[str] | None = None, limit: int | None = None
    ) -> list[DigestRecord]:
        """Failed digests whose next attempt is due, and claims whose lease (next_attempt_at)
        ran out, soonest first; only communities of `platforms` when given."""
        _aware(now, "now")
        records = [
            r
            for r in self._state.digests.values()
            if r.status in ("failed", "claimed")
            and r.next_attempt_at is not None
            and r.next_attempt_at <= now
            and (platforms is None or platform_of(r.community_id) in platforms)
        ]
        records.sort(key=lambda r: (r.next_attempt_at or now, r.community_id))
        return records if limit is None else records[:limit]

    async def lock_due(
        self, now: datetime, platforms: Sequence[str], limit: int
    ) -> list[Community]:
        """Like `CommunityRepository.due`, for communities of `platforms`, at most `limit`.
        (One fake transaction commits over another's work, so there is nothing to lock.)"""
        due = await FakeCommunityRepository(self._uow).due(now)
        return [c for c in due if platform_of(c.id) in platforms][:limit]


class FakeStateRepository(_Repository):
    async def get(self, key: str) -> str | None:
        return self._state.app_state.get(key)

    async def put(self, key: str, value: str) -> None:
        self._state.app_state[key] = value


class FakeDirectory:
    """The platform's users: those added here are known, anyone else is not (None)."""

    def __init__(self, users: Iterable[MemberInfo] = ()) -> None:
        self.users: dict[MemberId, MemberInfo] = {u.id: u for u in users}
        self.lookups: list[tuple[CommunityId, MemberId]] = []

    def add(
        self,
        member_id: MemberId,
        display_name: str | None = None,
        *,
        is_bot: bool = False,
        is_platform_admin: bool = False,
    ) -> MemberInfo:
        info = MemberInfo(
            id=member_id,
            display_name=display_name or member_id.capitalize(),
            is_bot=is_bot,
            is_platform_admin=is_platform_admin,
        )
        self.users[member_id] = info
        return info

    async def lookup(self, community_id: CommunityId, member_id: MemberId) -> MemberInfo | None:
        self.lookups.append((community_id, member_id))
        return self.users.get(member_id)


@dataclass(frozen=True)
class Notification:
    kudos: Kudos
    giver_name: str


class RecordingNotifier:
    """Records every notification; with `fail` set, raises instead (after recording)."""

    def __init__(self) -> None:
        self.calls: list[Notification] = []
        self.fail = False

    async def kudos_received(self, kudos: Kudos, giver_name: str) -> None:
        self.calls.append(Notification(kudos, giver_name))
        if self.fail:
            raise RuntimeError("the platform refused the notification")


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime = DEFAULT_NOW) -> None:
        self._now = _aware(now, "now")

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = _aware(now, "now")

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now


@dataclass
class FakeWorld:
    """Every fake port, ready to be put into `bot.handlers.context.Ports`."""

    store: FakeStore = field(default_factory=FakeStore)
    directory: FakeDirectory = field(default_factory=FakeDirectory)
    notifier: RecordingNotifier = field(default_factory=RecordingNotifier)
    clock: FixedClock = field(default_factory=FixedClock)

    def ports(self) -> Ports:
        return Ports(
            uow=self.store.uow, directory=self.directory, notifier=self.notifier, clock=self.clock
        )
