"""Command sync: only when the command set changed (a hash kept in the database), or when
asked for (`smart-connections discord sync`). Never on a reconnect."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import discord
from discord import app_commands

from bot.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)


def _state_key(application_id: int) -> str:
    return f"discord.command_hash:{application_id}"


def command_hash(tree: app_commands.CommandTree[Any]) -> str:
    """A digest of exactly what a global sync would send to Discord."""
    payload = sorted(
        (command.to_dict(tree) for command in tree.get_commands()),
        key=lambda p: (p.get("type", 1), p["name"]),
    )
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


async def sync_if_changed(
    tree: app_commands.CommandTree[Any], application_id: int, uow: UnitOfWorkFactory
) -> bool:
    """Sync the global commands when they differ from the last sync; True if it synced.
    A failed sync is logged and tried again at the next start; the bot runs on."""
    wanted = command_hash(tree)
    async with uow() as work:
        stored = await work.state.get(_state_key(application_id))
    if stored == wanted:
        log.info("Discord commands unchanged: no sync")
        return False
    try:
        synced = await tree.sync()
    except discord.HTTPException as exc:
        log.warning("Discord command sync failed (HTTP %s); will retry at next start", exc.status)
        return False
    await remember_synced(tree, application_id, uow)
    log.info("synced %d Discord commands", len(synced))
    return True


async def remember_synced(
    tree: app_commands.CommandTree[Any], application_id: int, uow: UnitOfWorkFactory
) -> None:
    async with uow() as work:
        await work.state.put(_state_key(application_id), command_hash(tree))
        await work.commit()


async def sync_now(
    tree: app_commands.CommandTree[Any],
    application_id: int,
    uow: UnitOfWorkFactory,
    guild_id: int | None = None,
) -> int:
    """Always sync: the global commands, or (for quick testing) a copy of them in one guild.
    Returns how many commands Discord now has there."""
    if guild_id is None:
        synced = await tree.sync()
        await remember_synced(tree, application_id, uow)
        return len(synced)
    guild = discord.Object(id=guild_id)
    tree.copy_global_to(guild=guild)
    return len(await tree.sync(guild=guild))
