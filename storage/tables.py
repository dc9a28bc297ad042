"""The schema. Every row belongs to a community and every query is scoped by it."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from storage.types import Id, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

COMMUNITY = 100
MEMBER = 100

communities = Table(
    "communities",
    metadata,
    Column("id", String(COMMUNITY), primary_key=True),
    Column("digest_channel", String(100)),
    Column("digest_weekday", Integer, nullable=False, default=0),
    Column("digest_time", String(5), nullable=False, default="09:00"),
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("paused", Boolean, nullable=False, default=False),
    Column("daily_kudos_limit", Integer, nullable=False, default=10),
    Column("min_reason_length", Integer, nullable=False, default=10),
    Column("next_digest_due_at", UtcDateTime, index=True),
    Column("reaction_emoji", String(100)),
    Column("burst_kudos_limit", Integer, nullable=False, default=5, server_default="5"),
)

members = Table(
    "members",
    metadata,
    Column("community_id", String(COMMUNITY), primary_key=True),
    Column("member_id", String(MEMBER), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("is_bot", Boolean, nullable=False, default=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("opted_out", Boolean, nullable=False, default=False),
    Column("first_seen_at", UtcDateTime),
)

kudos = Table(
    "kudos",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", String(COMMUNITY), nullable=False),
    Column("giver_id", String(MEMBER), nullable=False),
    Column("reason", Text, nullable=False),
    Column("tags", String(200), nullable=False, default=""),
    Column("unprompted", Boolean, nullable=False, default=False),
    Column("hidden", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivery_id", String(255)),
    Index("ix_kudos_community_created", "community_id", "created_at"),
    Index("ix_kudos_community_giver_created", "community_id", "giver_id", "created_at"),
)

kudos_recipients = Table(
    "kudos_recipients",
    metadata,
    Column("kudos_id", Id, ForeignKey("kudos.id", ondelete="CASCADE"), primary_key=True),
    Column("recipient_id", String(MEMBER), primary_key=True),
    Column("position", Integer, nullable=False, default=0),
    Column("community_id", String(COMMUNITY), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_kudos_recipients_member", "community_id", "recipient_id", "created_at"),
    Index("ix_kudos_recipients_community_created", "community_id", "created_at"),
)

offers = Table(
    "offers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", String(COMMUNITY), nullable=False),
    Column("owner_id", String(MEMBER), nullable=False),
    Column("text", Text, nullable=False),
    # Case-folded in Python: SQLite's lower() only knows ASCII, so search runs on this.
    Column("search_text", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime),
    Index("ix_offers_community_owner", "community_id", "owner_id"),
    Index("ix_offers_community_expires", "community_id", "expires_at"),
)

prompts = Table(
    "prompts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", String(COMMUNITY), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", String(COMMUNITY), nullable=False),
    Column("actor_id", String(MEMBER), nullable=False),
    Column("action", String(100), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_audit_log_community_created", "community_id", "created_at"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("community_id", String(COMMUNITY), primary_key=True),
    Column("delivery_id", String(255), primary_key=True),
    Column("received_at", UtcDateTime, nullable=False, index=True),
)

digests = Table(
    "digests",
    metadata,
    Column("community_id", String(COMMUNITY), primary_key=True),
    Column("period_start", UtcDateTime, primary_key=True),
    Column("status", String(20), nullable=False),
    Column("claimed_by", String(200), nullable=False),
    Column("claimed_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("posted_at", UtcDateTime),
    Column("last_error", Text),
    Column("next_attempt_at", UtcDateTime, index=True),
    # The end of the period a posted digest covered; NULL before it is posted, and for digests
    # posted before migration 0005.
    Column("period_end", UtcDateTime),
)

# Small named values the adapters keep (e.g. the hash of Discord's synced command set).
app_state = Table(
    "app_state",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
)
