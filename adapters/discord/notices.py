"""Digest posts that failed for a reason only an admin can fix (channel gone, permission
missing): written to the audit log, and kept until an admin next uses an admin command."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain import AuditEntry, CommunityId
from bot.ports import UnitOfWorkFactory

POST_FAILED = "digest.post_failed"
SYSTEM_ACTOR = "smart-connections"


def _key(community_id: CommunityId) -> str:
    return f"discord.digest_failure:{community_id}"


async def record_post_failure(uow: UnitOfWorkFactory, community_id: CommunityId, why: str) -> None:
    async with uow() as work:
        await work.audit.add(
            AuditEntry(
                community_id=community_id,
                actor_id=SYSTEM_ACTOR,
                action=POST_FAILED,
                detail=why,
                created_at=datetime.now(UTC),
            )
        )
        await work.state.put(_key(community_id), why)
        await work.commit()


async def take_post_failure(uow: UnitOfWorkFactory, community_id: CommunityId) -> str | None:
    """The failure no admin has seen yet (then it counts as seen), or None."""
    async with uow() as work:
        why = await work.state.get(_key(community_id))
        if not why:
            return None
        await work.state.put(_key(community_id), "")
        await work.commit()
    return why
