"""The Notifier port: a direct message to each person thanked. Sent in the background so
that the giver's reply never waits on Discord's DM rate limits; a recipient who does not
accept DMs is simply skipped."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord

from adapters.discord.identity import guild_id_of
from adapters.discord.render import MESSAGE_LIMIT, escape, no_mentions
from bot.domain import Kudos

log = logging.getLogger(__name__)

CANNOT_MESSAGE_USER = 50007  # Discord's code for "this user does not accept your DMs"
DRAIN_SECONDS = 5.0


class DiscordNotifier:
    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._pending: set[asyncio.Task[None]] = set()

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
                channel = await self._client.create_dm(discord.Object(id=int(recipient)))
                await channel.send(text, allowed_mentions=no_mentions())
            except discord.Forbidden as exc:
                if exc.code == CANNOT_MESSAGE_USER:
                    log.info("recipient of kudos %s does not accept DMs", kudos.id)
                else:
                    log.warning("no DM for kudos %s: forbidden (%s)", kudos.id, exc.code)
            except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
                log.warning("no DM for kudos %s: %s", kudos.id, type(exc).__name__)
