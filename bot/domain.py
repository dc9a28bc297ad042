"""Domain types shared by the core, the adapters and storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# A community is one workspace or server: "console:local", "slack:T012AB", "discord:1234".
CommunityId = str
# A member id is the platform's own user id (Slack "U123", a Discord snowflake, a console name).
MemberId = str

FORGOTTEN_MEMBER = "forgotten"


def platform_of(community_id: CommunityId) -> str:
    return community_id.split(":", 1)[0]


@dataclass(frozen=True)
class Community:
    id: CommunityId
    digest_channel: str | None = None
    digest_weekday: int = 0  # Monday; 0..6 like datetime.weekday()
    digest_time: str = "09:00"
    timezone: str = "UTC"
    paused: bool = False
    daily_kudos_limit: int = 10
    min_reason_length: int = 10
    next_digest_due_at: datetime | None = None
    reaction_emoji: str | None = None
    burst_kudos_limit: int = 5  # kudos per giver per minute; 0 = no limit


@dataclass(frozen=True)
class Member:
    community_id: CommunityId
    id: MemberId
    display_name: str
    is_bot: bool = False
    is_admin: bool = False  # named admin in our own data (platform admins are checked live)
    opted_out: bool = False
    first_seen_at: datetime | None = None


@dataclass(frozen=True)
class Kudos:
    community_id: CommunityId
    giver_id: MemberId
    recipient_ids: tuple[MemberId, ...]
    reason: str
    tags: tuple[str, ...]
    unprompted: bool
    created_at: datetime
    id: int | None = None
    hidden: bool = False
    delivery_id: str | None = None


@dataclass(frozen=True)
class Offer:
    community_id: CommunityId
    owner_id: MemberId
    text: str
    created_at: datetime
    expires_at: datetime
    id: int | None = None
    closed_at: datetime | None = None

    def is_open(self, now: datetime) -> bool:
        return self.closed_at is None and self.expires_at > now


@dataclass(frozen=True)
class Prompt:
    community_id: CommunityId
    text: str
    created_at: datetime
    id: int | None = None
    last_used_at: datetime | None = None


@dataclass(frozen=True)
class AuditEntry:
    community_id: CommunityId
    actor_id: MemberId
    action: str
    detail: str
    created_at: datetime
    id: int | None = None


@dataclass(frozen=True)
class MemberInfo:
    """What a platform tells about a user: looked up through the MemberDirectory port."""

    id: MemberId
    display_name: str
    is_bot: bool = False
    is_platform_admin: bool = False


@dataclass(frozen=True)
class Actor:
    """Who sent a command, as the adapter saw it."""

    community_id: CommunityId
    member_id: MemberId
    display_name: str
    is_platform_admin: bool = False
    channel_id: str | None = None


@dataclass(frozen=True)
class MemberSummary:
    given: tuple[Kudos, ...]
    received: tuple[Kudos, ...]
    given_count: int
    received_count: int
    open_offers: tuple[Offer, ...]
    names: dict[MemberId, str] = field(default_factory=dict)
