"""The Poster port: a built digest, as embeds, in the community's configured channel."""

from __future__ import annotations

import logging
from typing import NoReturn

import discord

from adapters.discord.client import minimal_intents
from adapters.discord.digest_embeds import digest_embeds
from adapters.discord.notices import record_post_failure
from adapters.discord.render import no_mentions
from bot.digest.errors import DigestNotDeliverable
from bot.digest.model import Digest
from bot.domain import Community
from bot.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

FIX = "Fix it, or choose another channel with /connections-admin digest channel."


class DiscordPoster:
    def __init__(self, client: discord.Client, uow: UnitOfWorkFactory, token: str) -> None:
        self._client = client
        self._uow = uow
        self._token = token

    async def post_digest(self, community: Community, digest: Digest) -> None:
        """Raises DigestNotDeliverable when only an admin can fix it (then they are told),
        and discord.HTTPException (or OSError) when trying again later may succeed."""
        raw = community.digest_channel
        if not raw or not raw.isdecimal():
            await self._undeliverable(
                community,
                "no digest channel is set. Choose one with /connections-admin digest channel.",
            )
        try:
            await self._send(int(raw), digest_embeds(digest))
        except discord.Forbidden:
            await self._undeliverable(
                community,
                f"I may not post in <#{raw}>: I need View Channel, Send Messages and Embed "
                f"Links there. {FIX}",
            )
        except discord.NotFound:
            await self._undeliverable(community, f"the channel <#{raw}> no longer exists. {FIX}")
        log.info("posted the digest of %s", community.id)

    async def _send(self, channel_id: int, embeds: list[discord.Embed]) -> None:
        if self._client.user is not None and not self._client.is_closed():
            channel = self._client.get_partial_messageable(channel_id)
            await channel.send(embeds=embeds, allowed_mentions=no_mentions())
            return
        # Not serving (e.g. `smart-connections digest send`): a short REST-only session.
        async with discord.Client(intents=minimal_intents()) as rest:
            await rest.login(self._token)
            channel = rest.get_partial_messageable(channel_id)
            await channel.send(embeds=embeds, allowed_mentions=no_mentions())

    async def _undeliverable(self, community: Community, why: str) -> NoReturn:
        log.warning("digest of %s not deliverable: %s", community.id, why)
        await record_post_failure(
            self._uow, community.id, f"The weekly digest could not be posted: {why}"
        )
        raise DigestNotDeliverable(why)
