"""Which emoji reaction thanks a message's author, per community (off unless an admin set one).

Every reaction in every channel the bot is in arrives as an event, so the setting is cached
briefly instead of read from the database each time; a change made here applies at once.
"""

from __future__ import annotations

import time

from bot.domain import CommunityId
from bot.ports import UnitOfWorkFactory

CACHE_SECONDS = 30.0


def base_emoji(reaction: str) -> str:
    """`thumbsup::skin-tone-2` is a thumbsup."""
    return reaction.split("::", 1)[0]


class ReactionSettings:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow
        self._cache: dict[CommunityId, tuple[float, str | None]] = {}

    async def emoji(self, community_id: CommunityId) -> str | None:
        cached = self._cache.get(community_id)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self._uow() as uow:
            community = await uow.communities.get(community_id)
        emoji = community.reaction_emoji if community is not None else None
        self._cache[community_id] = (now + CACHE_SECONDS, emoji)
        return emoji

    def forget(self, community_id: CommunityId) -> None:
        self._cache.pop(community_id, None)
