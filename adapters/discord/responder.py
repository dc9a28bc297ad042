"""One interaction, start to finish: acknowledge at once (ephemeral), hand the command to
the core, answer the actor privately, and post the public thank-you when there is one."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Mapping
from typing import Any

import discord

from adapters.discord.digest_embeds import digest_embeds
from adapters.discord.directory import resolved_members
from adapters.discord.identity import actor_of
from adapters.discord.notices import take_post_failure
from adapters.discord.render import announcement, no_mentions, recipients_only, reply_chunks
from bot.commands import Command, SendDigestNow
from bot.domain import Actor
from bot.errors import StoreUnavailableError
from bot.handlers.context import is_admin
from bot.logs import request_context
from bot.ports import UnitOfWorkFactory
from bot.replies import Attachment, KudosAnnouncement, Reply
from bot.service import ConnectionsService

log = logging.getLogger(__name__)

SORRY = (
    "Sorry, something went wrong on my side and I couldn't finish that. "
    "Please try again in a minute."
)
TOO_LARGE = "Your export is larger than Discord lets me attach here; please ask an admin."

Users = Mapping[str, object]  # members as Discord resolved them (see resolved_members)


class Responder:
    def __init__(self, service: ConnectionsService, uow: UnitOfWorkFactory) -> None:
        self._service = service
        self._uow = uow

    async def run(
        self,
        interaction: discord.Interaction[Any],
        command: Command,
        *,
        users: Users | None = None,
        admin: bool = False,
        decorate: Callable[[Reply], Reply] | None = None,
    ) -> None:
        # Every log line while handling it carries the interaction's id.
        with request_context(str(interaction.id)):
            await self._run(interaction, command, users=users, admin=admin, decorate=decorate)

    async def _run(
        self,
        interaction: discord.Interaction[Any],
        command: Command,
        *,
        users: Users | None,
        admin: bool,
        decorate: Callable[[Reply], Reply] | None,
    ) -> None:
        # Deferring first answers Discord within its 3 seconds, however slow the rest is.
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = actor_of(interaction)
        notice = await self._failure_notice(actor) if admin else None
        with resolved_members(users or {}):
            reply = await self._service.handle(actor, command)
        if isinstance(command, SendDigestNow) and notice is None:
            # A failure of this very post is in the reply already: don't repeat it later.
            await take_post_failure(self._uow, actor.community_id)
        if decorate is not None:
            reply = decorate(reply)
        await self.send_reply(interaction, reply, notice)
        if reply.announcement is not None:
            await self.announce(interaction, reply.announcement)

    async def _failure_notice(self, actor: Actor) -> str | None:
        """A digest post that failed since an admin last looked; only an admin sees (and so
        acknowledges) it."""
        try:
            async with self._uow() as uow:
                allowed = await is_admin(uow, actor)
            return await take_post_failure(self._uow, actor.community_id) if allowed else None
        except StoreUnavailableError:
            return None  # the command itself then says the store is unavailable

    async def send_reply(
        self, interaction: discord.Interaction[Any], reply: Reply, notice: str | None = None
    ) -> None:
        text = reply.text
        if reply.digest is not None:  # the embeds show the digest: keep only the heading
            text = text.split("\n", 1)[0]
        if notice:
            text = f"{notice}\n\n{text}"
        chunks = reply_chunks(text)
        file: discord.File | None = None
        if reply.attachment is not None:
            file = _file(reply.attachment, interaction.filesize_limit)
            if file is None:
                chunks.append(TOO_LARGE)
        embeds = digest_embeds(reply.digest) if reply.digest is not None else []
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            extras: dict[str, Any] = {}
            if last and file is not None:
                extras["file"] = file
            if last and embeds:
                extras["embeds"] = embeds
            await interaction.followup.send(
                chunk, ephemeral=True, allowed_mentions=no_mentions(), **extras
            )

    async def announce(self, interaction: discord.Interaction[Any], a: KudosAnnouncement) -> None:
        """In the channel as the bot; where the bot may not post, as the public answer to
        the interaction (which Discord always allows), so that the thank-you is not lost."""
        content = announcement(a)
        mentions = recipients_only(a.recipient_ids)
        channel = interaction.channel
        if isinstance(channel, discord.abc.Messageable):
            try:
                await channel.send(content, allowed_mentions=mentions)
                return
            except discord.HTTPException as exc:
                log.info(
                    "thank-you not postable in channel %s (%s)", interaction.channel_id, exc.code
                )
        try:
            await interaction.followup.send(content, allowed_mentions=mentions)
        except discord.HTTPException as exc:
            # The kudos is recorded and the giver was told so: an apology would mislead.
            log.warning("thank-you of interaction %s not posted (%s)", interaction.id, exc.status)


async def send_text(interaction: discord.Interaction[Any], text: str) -> None:
    """A short ephemeral answer that needs no core (help, early refusals, errors)."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=no_mentions())
    else:
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=no_mentions()
        )


async def apologise(interaction: discord.Interaction[Any]) -> None:
    try:
        await send_text(interaction, SORRY)
    except discord.HTTPException:
        log.warning("could not tell the member about an error (interaction %s)", interaction.id)


def _file(attachment: Attachment, limit: int) -> discord.File | None:
    if len(attachment.content) > limit:
        return None
    return discord.File(io.BytesIO(attachment.content), filename=attachment.filename)
