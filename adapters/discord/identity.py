"""Who and where: Discord guilds and members as the core's communities and actors."""

from __future__ import annotations

from typing import Any

import discord

from bot.domain import Actor, CommunityId, MemberInfo

PLATFORM = "discord"


def community_id(guild_id: int) -> CommunityId:
    return f"{PLATFORM}:{guild_id}"


def guild_id_of(community: CommunityId) -> int | None:
    platform, _, raw = community.partition(":")
    if platform != PLATFORM or not raw.isdecimal():
        return None
    return int(raw)


def member_info(member: discord.Member) -> MemberInfo:
    return MemberInfo(
        id=str(member.id),
        display_name=member.display_name,
        is_bot=member.bot,
        is_platform_admin=member.guild_permissions.manage_guild,
    )


def actor_of(interaction: discord.Interaction[Any]) -> Actor:
    """The invoking member. "Manage Server" comes from the permissions Discord computed for
    this very interaction, so it is checked at run time, whatever the command's visibility."""
    assert interaction.guild_id is not None  # the tree answers DMs before any command runs
    user = interaction.user
    return Actor(
        community_id=community_id(interaction.guild_id),
        member_id=str(user.id),
        display_name=user.display_name,
        is_platform_admin=interaction.permissions.manage_guild,
        channel_id=str(interaction.channel_id) if interaction.channel_id else None,
    )
