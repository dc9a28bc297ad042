"""The discord.py client: no privileged intents, a command tree that answers every
interaction, and a command sync at start-up only when the command set changed."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import discord
from discord import app_commands

from adapters.discord.option_types import well_typed
from adapters.discord.responder import apologise, send_text
from adapters.discord.sync import sync_if_changed
from bot.errors import StoreUnavailableError
from bot.logs import request_id
from bot.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

NOT_IN_A_SERVER = (
    "I work inside Discord servers: add me to one, then use my commands there. "
    "Try /connections help in a server."
)
OUT_OF_DATE = "That command has changed; Discord will show the new version in a minute."
UNREADABLE = (
    "I couldn't read the options of that command. Please pick the command again from "
    "Discord's list and choose each value from what Discord offers."
)


def minimal_intents() -> discord.Intents:
    """Only guilds (servers, channels, roles): no members, presences or message content."""
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


class ConnectionsTree(app_commands.CommandTree[discord.Client]):
    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        # Runs first in the task handling this interaction (discord.py starts one each):
        # every later log line of it, errors included, carries the interaction's id.
        request_id.set(str(interaction.id))
        if interaction.user.bot:
            return False  # bots are ignored (and cannot invoke commands anyway)
        if not well_typed(interaction.data):
            log.warning("interaction %s has options of the wrong type", interaction.id)
            if interaction.type is discord.InteractionType.application_command:
                await send_text(interaction, UNREADABLE)
            return False
        if interaction.guild_id is None:
            if interaction.type is discord.InteractionType.application_command:
                await send_text(interaction, NOT_IN_A_SERVER)
            return False
        return True

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /
    ) -> None:
        if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
            log.warning("interaction for an out-of-date command: %s", error)
            with contextlib.suppress(discord.HTTPException):
                await send_text(interaction, OUT_OF_DATE)
            return
        if isinstance(error, app_commands.TransformerError):
            # A value no choice or converter accepts (Discord offers only valid ones).
            log.warning("interaction %s: option value not accepted: %s", interaction.id, error)
            with contextlib.suppress(discord.HTTPException):
                await send_text(interaction, UNREADABLE)
            return
        original = getattr(error, "original", error)
        log.error(
            "command %s failed",
            interaction.command.qualified_name if interaction.command else "?",
            exc_info=(type(original), original, original.__traceback__),
        )
        await apologise(interaction)


async def _startup_sync(
    client: discord.Client, tree: ConnectionsTree, uow: UnitOfWorkFactory
) -> None:
    if client.application_id is None:
        return
    try:
        await sync_if_changed(tree, client.application_id, uow)
    except StoreUnavailableError:
        log.warning("store unavailable at start: Discord commands not checked for changes")


class ConnectionsClient(discord.Client):
    def __init__(self, *, uow: UnitOfWorkFactory, sync_on_start: bool = True, **options: Any):
        super().__init__(intents=minimal_intents(), **options)
        self.tree = ConnectionsTree(self)
        self._uow = uow
        self._sync_on_start = sync_on_start

    async def setup_hook(self) -> None:
        # Runs once per login, before the gateway connects: reconnects never get here.
        if self._sync_on_start:
            await _startup_sync(self, self.tree, self._uow)


class ShardedConnectionsClient(discord.AutoShardedClient):
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        sync_on_start: bool = True,
        pinned_gateway: bool = False,
        **options: Any,
    ):
        super().__init__(intents=minimal_intents(), **options)
        self.tree = ConnectionsTree(self)
        self._uow = uow
        self._sync_on_start = sync_on_start
        self._pinned_gateway = pinned_gateway

    async def setup_hook(self) -> None:
        if self._pinned_gateway and self.shard_count is None:
            # Discord recommends the shard count; with a count, discord.py connects to the
            # configured gateway rather than the address Discord returns with it.
            self.shard_count, _, _ = await self.http.get_bot_gateway()
        if self._sync_on_start:
            await _startup_sync(self, self.tree, self._uow)
