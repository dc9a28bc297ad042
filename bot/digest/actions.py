"""Preview and send-now, shared by the admin commands and the command line."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.digest.model import Digest, DigestRecord
from bot.digest.publisher import DigestPublisher, Outcome, uncovered_period
from bot.digest.timing import (
    content_window,
    first_due,
    following_due,
    latest_due,
    week_before,
    week_start_of,
)
from bot.domain import AuditEntry, Community, CommunityId, MemberId
from bot.handlers.context import load_community
from bot.ports import Clock, UnitOfWorkFactory


async def ensure_community(
    uow: UnitOfWorkFactory, clock: Clock, community_id: CommunityId
) -> Community:
    """The community, created with the default schedule if it is new (so it gets digests)."""
    async with uow() as tx:
        community = await load_community(tx, community_id, clock.now())
        await tx.commit()
    return community


def this_cycle(community: Community, now: datetime, grace: timedelta) -> datetime:
    """The due time of "this week's" digest: the one the scheduler would post next (an
    overdue one it has not reached yet, within the grace), else the upcoming one."""
    due = community.next_digest_due_at or first_due(community, now)
    if due > now:
        return due
    latest = latest_due(community, due, now)
    return latest if now - latest <= grace else following_due(community, latest)


async def preview(publisher: DigestPublisher, community: Community, now: datetime) -> Digest:
    """This week's digest as it would be posted now, prompt included (not marked used): the
    7 days before now, less what the last posted digest covered."""
    return (await publisher.build(community, week_before(now, community), now)).digest


@dataclass(frozen=True)
class SendResult:
    cycle: datetime  # the due time this digest stands for
    following: datetime  # the due time after it
    outcome: Outcome | None = None  # None: this week's digest was already taken, or covered
    existing: DigestRecord | None = None
    # The last posted digest, when it leaves less than a day to post: nothing was claimed.
    covered_by: DigestRecord | None = None


async def send_now(
    uow: UnitOfWorkFactory,
    publisher: DigestPublisher,
    clock: Clock,
    community_id: CommunityId,
    actor_id: MemberId | None = None,
) -> SendResult:
    """Post the digest of the last 7 days now, as this week's: it takes this week's claim,
    so the scheduled one is not posted again. Days an earlier posted digest covered are left
    out; when that leaves less than a day, nothing is claimed or posted."""
    now = clock.now()
    async with uow() as tx:
        community = await load_community(tx, community_id, now)
        cycle = this_cycle(community, now, publisher.policy.grace)
        following = following_due(community, cycle)
        period_start = week_start_of(cycle, community)
        worker = publisher.worker_id
        if not await tx.digests.claim(community_id, period_start, worker, now):
            existing = await tx.digests.get(community_id, period_start)
            await tx.commit()
            return SendResult(cycle=cycle, following=following, existing=existing)
        start, end = content_window(community, period_start, cycle, now)
        period = await uncovered_period(tx, community, start, end)
        if period.covered_by is not None:
            # Not committed: the claim is rolled back, and this week's digest is still to come.
            return SendResult(cycle=cycle, following=following, covered_by=period.covered_by)
        record = DigestRecord(
            community_id,
            period_start,
            "claimed",
            worker,
            now,
            next_attempt_at=now + publisher.policy.lease,
        )
        await tx.digests.save(record)
        if cycle <= now:  # the overdue one: the scheduler must move on past it
            await tx.communities.save(replace(community, next_digest_due_at=following))
        if actor_id is not None:
            await tx.audit.add(
                AuditEntry(community_id, actor_id, "digest.now", f"week from {period_start}", now)
            )
        await tx.commit()
    outcome = await publisher.deliver(community, record, cycle)
    return SendResult(cycle=cycle, following=following, outcome=outcome)
