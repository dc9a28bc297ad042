"""Puts the Discord adapter together: client, commands, ports and the runtime that serves
them. Called from the composition root (bot.bootstrap) only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import discord

from adapters.discord.admin_commands import AdminCommands
from adapters.discord.client import ConnectionsClient, ShardedConnectionsClient
from adapters.discord.directory import DiscordDirectory
from adapters.discord.endpoints import point_at
from adapters.discord.identity import PLATFORM
from adapters.discord.member_commands import ConnectionsCommands, OfferCommands, kudos_command
from adapters.discord.notifier import DiscordNotifier
from adapters.discord.poster import DiscordPoster
from adapters.discord.redaction import redact_discord_secrets
from adapters.discord.responder import Responder
from adapters.discord.sync import sync_now
from adapters.discord.thank_menu import handle_thank_submit, is_thank_submit, thank_menus
from adapters.memory import freeze_startup_objects
from bot.ports import MemberDirectory, Notifier, Poster, UnitOfWorkFactory
from bot.service import ConnectionsService

log = logging.getLogger(__name__)

BAD_TOKEN = (
    "Discord refused the bot token: check DISCORD_TOKEN (Developer Portal → your application "
    "→ Bot → Reset Token)."
)
ServiceFactory = Callable[[MemberDirectory, Notifier], ConnectionsService]
Client = ConnectionsClient | ShardedConnectionsClient


class DiscordSetupError(RuntimeError):
    """Discord refused what set-up needs (the token, a command sync); the message says why."""


def parse_shards(value: str | None) -> tuple[bool, int | None]:
    """DISCORD_SHARDS: unset (one connection), "auto" (Discord's count) or a number."""
    if value is None or not value.strip():
        return False, None
    value = value.strip().lower()
    if value == "auto":
        return True, None
    if value.isdecimal() and 0 < int(value) <= 10_000:
        return True, int(value)
    raise ValueError(f"DISCORD_SHARDS must be 'auto' or a number of shards, not {value!r}")


def parse_shard_ids(value: str | None, count: int | None) -> list[int] | None:
    """DISCORD_SHARD_IDS ("0-3", "4,5,7") with DISCORD_SHARD_COUNT: the shards this process
    runs when a bot's shards are split across processes (one replica per shard range)."""
    if value is None or not value.strip():
        if count is not None:
            raise ValueError("DISCORD_SHARD_COUNT needs DISCORD_SHARD_IDS (or use DISCORD_SHARDS)")
        return None
    if count is None or count < 1:
        raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT, the total number of shards")
    ids: set[int] = set()
    for part in value.split(","):
        low, _, high = part.strip().partition("-")
        if not low.isdecimal() or (high and not high.isdecimal()):
            raise ValueError(f"DISCORD_SHARD_IDS must look like 0-3 or 4,5, not {value!r}")
        ids.update(range(int(low), int(high or low) + 1))
    if not ids or max(ids) >= count:
        raise ValueError(f"DISCORD_SHARD_IDS {value!r} must be below DISCORD_SHARD_COUNT {count}")
    return sorted(ids)


class DiscordRuntime:
    """The PlatformRuntime for Discord."""

    platform = PLATFORM

    def __init__(
        self,
        client: Client,
        token: str,
        poster: DiscordPoster,
        notifier: DiscordNotifier,
        uow: UnitOfWorkFactory,
    ) -> None:
        self.client = client
        self.poster: Poster = poster  # the port's type: PlatformRuntime's attribute is invariant
        self._token = token
        self._notifier = notifier
        self._uow = uow

    def __repr__(self) -> str:  # never the token
        return f"<DiscordRuntime {type(self.client).__name__}>"

    async def serve(self) -> None:
        """Log in and connect (start(), not run(): the loop is shared); close on the way out."""
        freeze_startup_objects()
        try:
            async with self.client:
                try:
                    await self.client.start(self._token)
                finally:
                    await self._notifier.drain()  # while the connection is still open
        except discord.LoginFailure:
            raise DiscordSetupError(BAD_TOKEN) from None

    async def sync_commands(self, guild_id: int | None = None) -> int:
        """Log in over REST only (no gateway), sync the commands, log out."""
        try:
            async with self.client:
                await self.client.login(self._token)
                assert self.client.application_id is not None  # login fetched it
                return await sync_now(
                    self.client.tree, self.client.application_id, self._uow, guild_id
                )
        except discord.LoginFailure:
            raise DiscordSetupError(BAD_TOKEN) from None
        except discord.HTTPException as exc:
            raise DiscordSetupError(
                f"Discord refused the sync (HTTP {exc.status}): {exc.text}"
            ) from None


def install(client: Client, responder: Responder) -> None:
    """Every command, both context menus, and the handler of the thank-you form."""
    tree = client.tree
    tree.add_command(kudos_command(responder))
    tree.add_command(OfferCommands(responder))
    tree.add_command(ConnectionsCommands(responder))
    tree.add_command(AdminCommands(responder))
    for menu in thank_menus(responder):
        tree.add_command(menu)

    async def on_interaction(interaction: discord.Interaction[Any]) -> None:
        if interaction.user.bot or interaction.guild_id is None:
            return
        if is_thank_submit(interaction):
            await handle_thank_submit(responder, interaction)

    client.event(on_interaction)


def create_runtime(
    *,
    token: str,
    uow: UnitOfWorkFactory,
    build_service: ServiceFactory,
    shards: str | None = None,
    api_base_url: str | None = None,
    gateway_url: str | None = None,
    sync_on_start: bool = True,
    client_options: dict[str, Any] | None = None,
    shard_ids: str | None = None,
    total_shards: int | None = None,
) -> DiscordRuntime:
    redact_discord_secrets(token)
    point_at(api_base_url, gateway_url)
    sharded, shard_count = parse_shards(shards)
    options = dict(client_options or {})
    split = parse_shard_ids(shard_ids, total_shards)
    if split is not None:
        sharded, shard_count = True, total_shards
        options["shard_ids"] = split
    client: Client
    if sharded:
        client = ShardedConnectionsClient(
            uow=uow,
            sync_on_start=sync_on_start,
            pinned_gateway=bool(gateway_url),
            shard_count=shard_count,
            **options,
        )
    else:
        client = ConnectionsClient(uow=uow, sync_on_start=sync_on_start, **options)
    notifier = DiscordNotifier(client)
    service = build_service(DiscordDirectory(client), notifier)
    install(client, Responder(service, uow))
    return DiscordRuntime(client, token, DiscordPoster(client, uow, token), notifier, uow)
