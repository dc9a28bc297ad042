"""The context menus "Thank this member" and "Thank the author": a form for the reason,
the values and the unprompted flag.

The form is stateless: its custom id carries whom it thanks, and its submit is handled
from the raw interaction. An open form therefore survives a restart of the bot, and its
submit may reach any replica.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import discord
from discord import app_commands

from adapters.discord.member_commands import split_values
from adapters.discord.responder import Responder, apologise, send_text
from bot import commands as c

log = logging.getLogger(__name__)

CUSTOM_ID_PREFIX = "smart-connections:thank:"
REASON, VALUES, UNPROMPTED = "reason", "values", "unprompted"
MAX_TITLE = 45  # Discord's limit for a modal's title
BOT_TARGET = "Bots can't receive kudos. Thank the person behind the help instead."
SELF_TARGET = "Thanking yourself doesn't count, but thanking someone who helped you does!"


def thank_form(target: discord.abc.User) -> discord.ui.Modal:
    title = f"Thank {target.display_name}"
    modal = discord.ui.Modal(
        title=title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…",
        custom_id=f"{CUSTOM_ID_PREFIX}{target.id}",
    )
    modal.add_item(
        discord.ui.Label(
            text="What did they do?",
            description="In your own words: it is posted in the channel.",
            component=discord.ui.TextInput(
                custom_id=REASON,
                style=discord.TextStyle.paragraph,
                min_length=1,
                max_length=1000,
                placeholder="for untangling the release script with me",
            ),
        )
    )
    modal.add_item(
        discord.ui.Label(
            text="Values (optional)",
            component=discord.ui.TextInput(
                custom_id=VALUES, required=False, max_length=200, placeholder="teamwork, mentoring"
            ),
        )
    )
    modal.add_item(
        discord.ui.Label(
            text="They helped without being asked",
            component=discord.ui.Checkbox(custom_id=UNPROMPTED),
        )
    )
    # A stopped form is not kept in memory by discord.py: its submit comes to us raw.
    modal.stop()
    return modal


def thank_menus(responder: Responder) -> list[app_commands.ContextMenu]:
    async def open_form(interaction: discord.Interaction, target: discord.abc.User) -> None:
        if target.bot:
            await send_text(interaction, BOT_TARGET)
        elif target.id == interaction.user.id:
            await send_text(interaction, SELF_TARGET)
        else:
            await interaction.response.send_modal(thank_form(target))

    async def thank_member(
        interaction: discord.Interaction, member: discord.Member | discord.User
    ) -> None:
        await open_form(interaction, member)

    async def thank_author(interaction: discord.Interaction, message: discord.Message) -> None:
        await open_form(interaction, message.author)

    menus = [
        app_commands.ContextMenu(name="Thank this member", callback=thank_member),
        app_commands.ContextMenu(name="Thank the author", callback=thank_author),
    ]
    return [app_commands.guild_only(menu) for menu in menus]


def _fields(components: list[dict[str, Any]]) -> Iterator[tuple[str, Any]]:
    """(custom id, value) of every input in a submitted form, however it is nested."""
    for component in components:
        if "components" in component:
            yield from _fields(component["components"])
        elif "component" in component:
            yield from _fields([component["component"]])
        elif "custom_id" in component:
            yield component["custom_id"], component.get("value")


def is_thank_submit(interaction: discord.Interaction) -> bool:
    data: Mapping[str, Any] = interaction.data or {}
    return interaction.type is discord.InteractionType.modal_submit and str(
        data.get("custom_id", "")
    ).startswith(CUSTOM_ID_PREFIX)


def submitted_kudos(interaction: discord.Interaction) -> c.GiveKudos | c.Invalid:
    data: dict[str, Any] = dict(interaction.data or {})
    target = str(data.get("custom_id", ""))[len(CUSTOM_ID_PREFIX) :]
    if not (target.isascii() and target.isdecimal() and len(target) <= 20):
        return c.Invalid("That form is out of date; please open it again.")
    values = dict(_fields(list(data.get("components", []))))
    reason, tags = values.get(REASON), values.get(VALUES)
    return c.GiveKudos(
        recipient_ids=(target,),
        reason=reason if isinstance(reason, str) else "",
        tags=split_values(tags if isinstance(tags, str) else None),
        unprompted=values.get(UNPROMPTED) is True,
        delivery_id=str(interaction.id),
    )


async def handle_thank_submit(responder: Responder, interaction: discord.Interaction) -> None:
    try:
        await responder.run(interaction, submitted_kudos(interaction))
    except Exception:
        log.exception("thank-you form %s failed", interaction.id)
        await apologise(interaction)
