"""Who a Discord user is: from the interaction's resolved members first, then the guild
cache, then one REST look-up. Unknown users and non-members are None."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType

import discord

from adapters.discord.identity import guild_id_of, member_info
from bot.domain import CommunityId, MemberId, MemberInfo

# Members Discord resolved for the interaction being handled (None: a user who is not a
# member of the guild). A context variable, because the core looks members up while it
# handles one interaction, and many interactions run at once.
_resolved: ContextVar[Mapping[str, MemberInfo | None]] = ContextVar("discord_resolved_members")
_NOBODY: Mapping[str, MemberInfo | None] = MappingProxyType({})


@contextlib.contextmanager
def resolved_members(users: Mapping[str, object]) -> Iterator[None]:
    """Members (and non-members) Discord resolved in the interaction. Anything else (an id
    Discord sent without resolving it) is left to the cache and the REST look-up."""
    infos: dict[str, MemberInfo | None] = {}
    for uid, user in users.items():
        if isinstance(user, discord.Member):
            infos[uid] = member_info(user)
        elif isinstance(user, discord.User):
            infos[uid] = None
    token = _resolved.set(infos)
    try:
        yield
    finally:
        _resolved.reset(token)


class DiscordDirectory:
    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def lookup(self, community_id: CommunityId, member_id: MemberId) -> MemberInfo | None:
        resolved = _resolved.get(_NOBODY)
        if member_id in resolved:
            return resolved[member_id]
        guild_id = guild_id_of(community_id)
        if guild_id is None or not member_id.isdecimal() or len(member_id) > 20:
            return None
        guild = self._client.get_guild(guild_id)
        if guild is None:
            return None
        member = guild.get_member(int(member_id))
        if member is None:
            try:
                member = await guild.fetch_member(int(member_id))
            except (discord.NotFound, discord.Forbidden):
                return None
            # Other HTTP errors (Discord is down) propagate: "not a member" would be a lie.
        return member_info(member)
