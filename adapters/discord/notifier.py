"""The Notifier port: a direct message to each person thanked. Sent in the background so
that the giver's reply never waits on Discord's DM rate limits; a recipient who does not
accept DMs is simply skipped."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

import aiohttp
import discord

from adapters.discord.identity import guild_id_of
from adapters.discord.render import MESSAGE_LIMIT, escape, no_mentions
from bot.domain import Kudos

log = logging.getLogger(__name__)

CANNOT_MESSAGE_USER = 50007  # Discord's code for "this user does not accept your DMs"
DRAIN_SECONDS = 5.0
# DM channels remembered by user (discord.py keeps only the last 128, and opening one is a
# REST call): one call a DM instead of two in a community of any size.
MAX_DM_CHANNELS = 10_000


class DiscordNotifier:
    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._pending: set[asyncio.Task[None]] = set()
        self._dm_channels: OrderedDict[int, int] = OrderedDict()  # user id -> DM channel id

    async def kudos_received(self, kudos: Kudos, giver_name: str) -> None:
        task = asyncio.create_task(self._notify_all(kudos, giver_name))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Give DMs under way a few seconds to finish (on shutdown), then drop them."""
        if not self._pending:
            return
        _, late = await asyncio.wait(set(self._pending), timeout=DRAIN_SECONDS)
        for task in late:
            task.cancel()

    def message(self, kudos: Kudos, giver_name: str) -> str:
        guild_id = guild_id_of(kudos.community_id)
        guild = self._client.get_guild(guild_id) if guild_id is not None else None
        where = f" in **{escape(guild.name)}**" if guild is not None else ""
        flag = " for helping without being asked" if kudos.unprompted else ""
        lines = [f"**{escape(giver_name)}** thanked you{where}{flag}!", "> " + escape(kudos.reason)]
        if kudos.tags:
            lines.append(" ".join(f"`#{tag}`" for tag in kudos.tags))
        text = "\n".join(lines)
        return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"

    async def _notify_all(self, kudos: Kudos, giver_name: str) -> None:
        text = self.message(kudos, giver_name)
        for recipient in kudos.recipient_ids:
            try:
                await self._direct_message(int(recipient), text)
            except discord.Forbidden as exc:
                if exc.code == CANNOT_MESSAGE_USER:
                    log.info("recipient of kudos %s does not accept DMs", kudos.id)
                else:
                    log.warning("no DM for kudos %s: forbidden (%s)", kudos.id, exc.code)
            except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
                log.warning("no DM for kudos %s: %s", kudos.id, type(exc).__name__)

    async def _direct_message(self, user_id: int, text: str) -> None:
        known = self._dm_channels.get(user_id)
        if known is not None:
            self._dm_channels.move_to_end(user_id)
            channel = self._client.get_partial_messageable(known, type=discord.ChannelType.private)
            try:
                await channel.send(text, allowed_mentions=no_mentions())
                return
            except discord.NotFound:  # the channel is gone: open it again below
                self._dm_channels.pop(user_id, None)
        opened = await self._client.create_dm(discord.Object(id=user_id))
        self._dm_channels[user_id] = opened.id
        while len(self._dm_channels) > MAX_DM_CHANNELS:
            self._dm_channels.popitem(last=False)
        await opened.send(text, allowed_mentions=no_mentions())
