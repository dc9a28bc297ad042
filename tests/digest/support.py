"""What the digest tests share: a poster that records, a seeder over any unit of work, and
a runner wired the way bootstrap wires it (only the Poster and the Clock are test doubles).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from bot.digest.errors import DigestNotDeliverable
from bot.digest.model import Digest, PostKey
from bot.digest.publisher import DeliveryPolicy, DigestDelivery, DigestPublisher
from bot.digest.routing import RoutingPoster
from bot.digest.runner import DigestRunner
from bot.digest.timing import first_due
from bot.domain import FORGOTTEN_MEMBER, Community, Kudos, Member, Offer, Prompt
from bot.ports import Clock, UnitOfWorkFactory

COMMUNITY = "console:test"
# A Monday 09:00 UTC due time; its week is [Mon 2 Mar 09:00, Mon 9 Mar 09:00).
DUE = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
WEEK_START = DUE - timedelta(days=7)


@dataclass(frozen=True)
class Post:
    community_id: str
    digest: Digest
    at: datetime
    key: PostKey | None = None


@dataclass
class RecordingPoster:
    """The Poster port, recording each post. Per community: the next `failures[id]` posts
    raise, posts to `hanging` never return; `undeliverable` refuses every post for good. The
    next `lost_answers[id]` posts land but raise (the answer never came back), as when the
    platform took the post and the connection dropped; posts to `stalled` land, then never
    return (the process dies before it hears back); `blind` makes `find_digest` see
    nothing, as a platform that cannot be asked."""

    clock: Clock
    posts: list[Post] = field(default_factory=list)
    attempts: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    lost_answers: dict[str, int] = field(default_factory=dict)
    hanging: set[str] = field(default_factory=set)
    stalled: set[str] = field(default_factory=set)
    undeliverable: bool = False
    blind: bool = False
    lookups: list[PostKey] = field(default_factory=list)

    async def post_digest(self, community: Community, digest: Digest, key: PostKey) -> None:
        self.attempts += 1
        if self.undeliverable:
            raise DigestNotDeliverable("no digest channel is set")
        if community.id in self.hanging:
            await asyncio.sleep(3600)
        if self.failures.get(community.id, 0) > 0:
            self.failures[community.id] -= 1
            raise ConnectionError("the platform answered 503")
        self.posts.append(Post(community.id, digest, self.clock.now(), key))
        if community.id in self.stalled:
            await asyncio.sleep(3600)
        if self.lost_answers.get(community.id, 0) > 0:
            self.lost_answers[community.id] -= 1
            raise ConnectionError("the connection dropped before the answer came")

    async def find_digest(self, community: Community, key: PostKey) -> bool:
        self.lookups.append(key)
        return not self.blind and any(p.key == key for p in self.posts)

    def for_community(self, community_id: str) -> list[Post]:
        return [p for p in self.posts if p.community_id == community_id]


def wire(
    uow: UnitOfWorkFactory,
    clock: Clock,
    poster: RecordingPoster,
    policy: DeliveryPolicy | None = None,
    worker_id: str = "test-worker",
    batch: int = 50,
) -> DigestRunner:
    """A runner for the "console" platform, as bootstrap builds it."""
    delivery = DigestDelivery(
        poster=RoutingPoster({"console": poster}),
        policy=policy or DeliveryPolicy(),
        worker_id=worker_id,
    )
    publisher = DigestPublisher(uow, delivery, clock)
    return DigestRunner(uow, publisher, clock, lambda: delivery.poster.platforms, batch=batch)


class Seed:
    """Writes a community's data through the repositories, at chosen times."""

    def __init__(self, uow: UnitOfWorkFactory, community_id: str = COMMUNITY) -> None:
        self.uow = uow
        self.community_id = community_id

    async def community(self, now: datetime = WEEK_START, **changes: object) -> Community:
        community = replace(Community(id=self.community_id), **changes)  # type: ignore[arg-type]
        if "next_digest_due_at" not in changes:
            community = replace(community, next_digest_due_at=first_due(community, now))
        async with self.uow() as uow:
            await uow.communities.save(community)
            await uow.commit()
        return community

    async def members(self, *names: str, opted_out: bool = False) -> None:
        async with self.uow() as uow:
            for name in names:
                await uow.members.save(
                    Member(
                        community_id=self.community_id,
                        id=name.lower(),
                        display_name=name,
                        opted_out=opted_out,
                    )
                )
            await uow.commit()

    async def kudos(
        self,
        giver: str,
        *receivers: str,
        at: datetime,
        reason: str = "for helping me out this week",
        unprompted: bool = False,
        hidden: bool = False,
    ) -> Kudos:
        async with self.uow() as uow:
            stored = await uow.kudos.add(
                Kudos(
                    community_id=self.community_id,
                    giver_id=giver,
                    recipient_ids=receivers,
                    reason="" if giver == FORGOTTEN_MEMBER else reason,
                    tags=(),
                    unprompted=unprompted,
                    created_at=at,
                    hidden=hidden,
                )
            )
            await uow.commit()
        return stored

    async def offer(
        self, owner: str, text: str, at: datetime, days: int = 30, closed: bool = False
    ) -> Offer:
        async with self.uow() as uow:
            stored = await uow.offers.add(
                Offer(
                    community_id=self.community_id,
                    owner_id=owner,
                    text=text,
                    created_at=at,
                    expires_at=at + timedelta(days=days),
                    closed_at=at + timedelta(hours=1) if closed else None,
                )
            )
            await uow.commit()
        return stored

    async def prompt(self, text: str, at: datetime = WEEK_START) -> Prompt:
        async with self.uow() as uow:
            stored = await uow.prompts.add(
                Prompt(community_id=self.community_id, text=text, created_at=at)
            )
            await uow.commit()
        return stored
