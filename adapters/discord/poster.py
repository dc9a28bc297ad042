"""The Poster port: a built digest, as embeds, in the community's configured channel; and
finding a digest post that an interrupted attempt left behind."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import NoReturn

import discord

from adapters.discord.client import minimal_intents
from adapters.discord.digest_embeds import DIGEST_TITLE, digest_embeds
from adapters.discord.notices import record_post_failure
from adapters.discord.render import no_mentions
from bot.digest.errors import DigestNotDeliverable
from bot.digest.model import Digest, PostKey
from bot.domain import Community
from bot.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

FIX = "Fix it, or choose another channel with /connections-admin digest channel."
# Clocks of our hosts and Discord's differ a little: look back a bit before the claim.
CLOCK_SKEW = timedelta(minutes=2)
# A look-up reads the channel from the claim on, this many messages at most, for this long at
# most (discord.py waits out rate limits): then the digest is posted again, never lost waiting.
MAX_MESSAGES_READ = 500
LOOK_UP_SECONDS = 20.0


class DiscordPoster:
    def __init__(self, client: discord.Client, uow: UnitOfWorkFactory, token: str) -> None:
        self._client = client
        self._uow = uow
        self._token = token

    async def post_digest(self, community: Community, digest: Digest, key: PostKey) -> None:
        """Raises DigestNotDeliverable when only an admin can fix it (then they are told),
        and discord.HTTPException (or OSError) when trying again later may succeed."""
        raw = community.digest_channel
        if not raw or not raw.isdecimal():
            await self._undeliverable(
                community,
                "no digest channel is set. Choose one with /connections-admin digest channel.",
            )
        try:
            async with self._channel(int(raw)) as (channel, _):
                await channel.send(embeds=digest_embeds(digest), allowed_mentions=no_mentions())
        except discord.Forbidden:
            await self._undeliverable(
                community,
                f"I may not post in <#{raw}>: I need View Channel, Send Messages and Embed "
                f"Links there. {FIX}",
            )
        except discord.NotFound:
            await self._undeliverable(community, f"the channel <#{raw}> no longer exists. {FIX}")
        log.info("posted the digest of %s", community.id)

    async def find_digest(self, community: Community, key: PostKey) -> bool:
        """Reads the channel since the claim for a digest of ours (Read Message History). A
        guild posts one digest a week to its one channel, so a digest of ours posted after
        the claim is this claim's. False when Discord will not let it read."""
        raw = community.digest_channel
        if not raw or not raw.isdecimal():
            return False
        try:
            async with asyncio.timeout(LOOK_UP_SECONDS), self._channel(int(raw)) as (channel, me):
                async for message in channel.history(
                    after=key.claimed_at - CLOCK_SKEW, limit=MAX_MESSAGES_READ, oldest_first=True
                ):
                    if message.author.id == me and any(
                        (e.title or "").startswith(DIGEST_TITLE) for e in message.embeds[:1]
                    ):
                        return True
        except TimeoutError:
            log.warning(
                "looking for an earlier digest post of %s took too long: posting it again",
                community.id,
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            log.warning(
                "cannot check whether the digest of %s was already posted (%s): posting it "
                "again; give the bot Read Message History in the digest channel",
                community.id,
                type(exc).__name__,
            )
        return False

    @asynccontextmanager
    async def _channel(
        self, channel_id: int
    ) -> AsyncIterator[tuple[discord.PartialMessageable, int]]:
        """The channel, and our own user id, through the gateway client while it serves, or
        else (e.g. `smart-connections digest send`) a short REST-only session."""
        if self._client.user is not None and not self._client.is_closed():
            yield self._client.get_partial_messageable(channel_id), self._client.user.id
            return
        async with discord.Client(intents=minimal_intents()) as rest:
            await rest.login(self._token)
            assert rest.user is not None  # login fetched it
            yield rest.get_partial_messageable(channel_id), rest.user.id

    async def _undeliverable(self, community: Community, why: str) -> NoReturn:
        log.warning("digest of %s not deliverable: %s", community.id, why)
        await record_post_failure(
            self._uow, community.id, f"The weekly digest could not be posted: {why}"
        )
        raise DigestNotDeliverable(why)
