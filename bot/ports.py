"""Ports: the interfaces the core needs, implemented by `storage` and `adapters`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

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
)

if TYPE_CHECKING:
    from bot.digest.model import Digest, DigestRecord, PostKey


class CommunityRepository(Protocol):
    async def get(self, community_id: CommunityId) -> Community | None: ...
    async def save(self, community: Community) -> None: ...

    async def get_or_create(self, default: Community) -> Community:
        """The stored community, inserting `default` only if there is none (race-safe)."""
        ...

    async def all_ids(self) -> list[CommunityId]: ...
    async def due(self, now: datetime) -> list[Community]: ...


class MemberRepository(Protocol):
    async def get(self, community_id: CommunityId, member_id: MemberId) -> Member | None: ...
    async def save(self, member: Member) -> None: ...
    async def delete(self, community_id: CommunityId, member_id: MemberId) -> None: ...
    async def many(
        self, community_id: CommunityId, member_ids: Sequence[MemberId]
    ) -> dict[MemberId, Member]: ...


# One receiver of one kudos, as the digest reads the weeks it sums up: (kudos id, giver,
# receiver, created_at, unprompted). The receiver is None for a kudos that names nobody.
# Plain tuples: a big community's digest reads tens of thousands of them.
Thanks = tuple[int, MemberId, MemberId | None, datetime, bool]


class KudosRepository(Protocol):
    async def add(self, kudos: Kudos) -> Kudos: ...
    async def count_given_since(
        self, community_id: CommunityId, giver_id: MemberId, since: datetime
    ) -> int: ...
    async def given_by(
        self, community_id: CommunityId, giver_id: MemberId, since: datetime | None = None
    ) -> list[Kudos]: ...
    async def received_by(
        self, community_id: CommunityId, recipient_id: MemberId, since: datetime | None = None
    ) -> list[Kudos]: ...
    async def between(
        self, community_id: CommunityId, start: datetime, end: datetime
    ) -> list[Kudos]: ...
    async def has_given_before(
        self, community_id: CommunityId, giver_id: MemberId, before: datetime
    ) -> bool: ...

    async def givers_before(
        self, community_id: CommunityId, giver_ids: Sequence[MemberId], before: datetime
    ) -> set[MemberId]:
        """Those of `giver_ids` who gave a kudos before `before` (one query for many)."""
        ...

    async def thanks_between(
        self, community_id: CommunityId, start: datetime, end: datetime
    ) -> list[Thanks]:
        """The receivers of the kudos created in [start, end) that are not hidden, one row
        each, ordered by created_at, then kudos id (a kudos' receivers in no set order)."""
        ...

    async def many(self, community_id: CommunityId, kudos_ids: Sequence[int]) -> dict[int, Kudos]:
        """These kudos, by id (unknown ids are left out)."""
        ...

    async def erase_member(
        self, community_id: CommunityId, member_id: MemberId, tombstone: MemberId
    ) -> None: ...

    async def get(self, community_id: CommunityId, kudos_id: int) -> Kudos | None: ...

    async def set_hidden(self, community_id: CommunityId, kudos_id: int, hidden: bool) -> None:
        """Hide the kudos from digests (or show it again); unknown ids change nothing."""
        ...

    async def recent(self, community_id: CommunityId, limit: int) -> list[Kudos]:
        """The latest `limit` kudos, newest first."""
        ...

    async def lock_giver(self, community_id: CommunityId, giver_id: MemberId) -> None:
        """Make this giver's concurrent transactions take turns from here to their end, so
        that each one's limits count what the one before recorded."""
        ...


class OfferRepository(Protocol):
    async def add(self, offer: Offer) -> Offer: ...
    async def get(self, community_id: CommunityId, offer_id: int) -> Offer | None: ...
    async def save(self, offer: Offer) -> None: ...
    async def count_open(
        self, community_id: CommunityId, owner_id: MemberId, now: datetime
    ) -> int: ...
    async def search(
        self,
        community_id: CommunityId,
        words: Sequence[str],
        now: datetime,
        offset: int,
        limit: int,
    ) -> list[Offer]: ...
    async def owned_by(self, community_id: CommunityId, owner_id: MemberId) -> list[Offer]: ...
    async def delete_owned_by(self, community_id: CommunityId, owner_id: MemberId) -> None: ...

    async def count_created_between(
        self, community_id: CommunityId, start: datetime, end: datetime
    ) -> int: ...

    async def open_by_take_up(
        self, community_id: CommunityId, now: datetime, offset: int, limit: int
    ) -> list[tuple[Offer, int]]:
        """Offers open at `now` with their take-up (kudos their owner received from the
        offer's creation until `now`), least taken-up first, then oldest first."""
        ...


class PromptRepository(Protocol):
    async def add(self, prompt: Prompt) -> Prompt: ...
    async def list(self, community_id: CommunityId) -> list[Prompt]: ...
    async def remove(self, community_id: CommunityId, prompt_id: int) -> bool: ...
    async def mark_used(self, community_id: CommunityId, prompt_id: int, at: datetime) -> None: ...


class AuditRepository(Protocol):
    async def add(self, entry: AuditEntry) -> None: ...
    async def list(self, community_id: CommunityId, limit: int = 50) -> list[AuditEntry]: ...


class DeliveryRepository(Protocol):
    async def seen(self, community_id: CommunityId, delivery_id: str) -> bool: ...

    async def record(self, community_id: CommunityId, delivery_id: str, at: datetime) -> None:
        """Store the id; raises DuplicateDeliveryError if it is already stored."""
        ...


class DigestRepository(Protocol):
    async def claim(
        self, community_id: CommunityId, period_start: datetime, claimed_by: str, now: datetime
    ) -> bool:
        """Atomically claim a (community, period); False when someone else has it. A record
        whose status is "released" (its claimant gave it back) can be claimed again."""
        ...

    async def get(
        self, community_id: CommunityId, period_start: datetime
    ) -> DigestRecord | None: ...

    async def save(self, record: DigestRecord) -> None: ...

    async def last_posted(self, community_id: CommunityId, before: datetime) -> DigestRecord | None:
        """The community's posted digest whose period ends last, among those whose period
        began before `before`: where the days no digest has covered yet begin. A digest
        posted before period ends were stored (`period_end` None) counts as ending 7 days
        after its `period_start`."""
        ...

    async def retryable(
        self, now: datetime, platforms: Sequence[str] | None = None, limit: int | None = None
    ) -> list[DigestRecord]:
        """Records to post again, soonest first: failed ones and claims whose holder's lease
        (`next_attempt_at` of a "claimed" record) has run out. Limited to communities of
        `platforms` (id prefixes) when given; locked for this transaction (SKIP LOCKED)."""
        ...

    async def lock_due(
        self, now: datetime, platforms: Sequence[str], limit: int
    ) -> list[Community]:
        """Up to `limit` communities of `platforms` (id prefixes), not paused, whose digest is
        due at or before `now`, earliest first; locked for this transaction so that other
        processes skip them (FOR UPDATE SKIP LOCKED on PostgreSQL)."""
        ...


class StateRepository(Protocol):
    """Small named values an adapter keeps (e.g. the hash of the synced command set)."""

    async def get(self, key: str) -> str | None: ...
    async def put(self, key: str, value: str) -> None: ...


class UnitOfWork(Protocol):
    """One transaction over every repository; commit or it is rolled back."""

    communities: CommunityRepository
    members: MemberRepository
    kudos: KudosRepository
    offers: OfferRepository
    prompts: PromptRepository
    audit: AuditRepository
    deliveries: DeliveryRepository
    digests: DigestRepository
    state: StateRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class MemberDirectory(Protocol):
    """Who a platform user is. None means the platform does not know them."""

    async def lookup(self, community_id: CommunityId, member_id: MemberId) -> MemberInfo | None: ...


class Notifier(Protocol):
    """Tells recipients they were thanked (the adapter decides how: DM, console line...)."""

    async def kudos_received(self, kudos: Kudos, giver_name: str) -> None: ...


class Poster(Protocol):
    """Posts a built digest to a community's channel."""

    async def post_digest(self, community: Community, digest: Digest, key: PostKey) -> None:
        """Post it, marked with `key` where the platform allows, for `find_digest`."""
        ...

    async def find_digest(self, community: Community, key: PostKey) -> bool:
        """Whether a post of this claim already reached the channel: asked before posting a
        claim again whose earlier attempt may have landed. False when the platform cannot
        tell (then the digest is posted again: a double is better than none)."""
        ...


class PlatformRuntime(Protocol):
    """One running platform connection (Slack, Discord): serves events, posts digests."""

    platform: str  # "slack" | "discord" | "console": the prefix of its community ids
    poster: Poster

    async def serve(self) -> None:
        """Run until cancelled; clean up (close connections) on cancellation."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...
