"""What every handler needs: the ports, the actor, and a few shared look-ups."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import Actor, Community, Member
from bot.ports import Clock, MemberDirectory, Notifier, UnitOfWork, UnitOfWorkFactory
from bot.schedule import load_zone, next_due
from bot.telemetry import Metrics, NullMetrics


@dataclass(frozen=True)
class Ports:
    uow: UnitOfWorkFactory
    directory: MemberDirectory
    notifier: Notifier
    clock: Clock
    metrics: Metrics = field(default_factory=NullMetrics)


async def load_community(uow: UnitOfWork, community_id: str, now: datetime) -> Community:
    """The community's settings, created with defaults on first contact."""
    community = await uow.communities.get(community_id)
    if community is None:
        default = Community(id=community_id)
        due = next_due(default.digest_weekday, default.digest_time, default.timezone, now)
        community = await uow.communities.get_or_create(replace(default, next_digest_due_at=due))
    return community


async def touch_member(uow: UnitOfWork, actor: Actor, now: datetime) -> Member:
    """Record the actor (name changes included) so digests and summaries can name them."""
    member = await uow.members.get(actor.community_id, actor.member_id)
    if member is None:
        member = Member(
            community_id=actor.community_id,
            id=actor.member_id,
            display_name=actor.display_name,
            first_seen_at=now,
        )
        await uow.members.save(member)
    elif member.display_name != actor.display_name and actor.display_name:
        member = replace(member, display_name=actor.display_name)
        await uow.members.save(member)
    return member


def community_zone(community: Community) -> ZoneInfo:
    return load_zone(community.timezone) or ZoneInfo("UTC")


def start_of_local_day(community: Community, now: datetime) -> datetime:
    local = now.astimezone(community_zone(community))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def days_ago(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


async def is_admin(uow: UnitOfWork, actor: Actor) -> bool:
    if actor.is_platform_admin:
        return True
    member = await uow.members.get(actor.community_id, actor.member_id)
    return member is not None and member.is_admin
