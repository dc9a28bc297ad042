"""The members' app commands: /kudos, /offer …, /connections …, with typed options."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands

from adapters.discord.help import HELP
from adapters.discord.render import no_mentions
from adapters.discord.responder import Responder
from bot import commands as c
from bot.parsing import MAX_ID

_VALUE_SEPARATORS = re.compile(r"[\s,]+")

# Discord enforces these in its own client; the core checks them again for anything else.
Reason = app_commands.Range[str, 1, 1000]
Values = app_commands.Range[str, 0, 200]
OfferText = app_commands.Range[str, 1, 500]
Search = app_commands.Range[str, 0, 100]
OfferId = app_commands.Range[int, 1, MAX_ID]
Page = app_commands.Range[int, 1, 1000]
Someone = discord.Member | discord.User


def split_values(values: str | None) -> tuple[str, ...]:
    """Split on spaces and commas: `teamwork, mentoring #kindness` gives three values."""
    return tuple(v for v in _VALUE_SEPARATORS.split(values or "") if v)


def kudos_command(responder: Responder) -> app_commands.Command[Any, ..., None]:
    @app_commands.command(name="kudos", description="Thank someone for their help, in your words")
    @app_commands.describe(
        member="Who helped",
        reason="What they did, in your own words",
        member2="Someone else who helped with the same thing",
        member3="A third person who helped with the same thing",
        values="Values it showed, e.g. teamwork, mentoring",
        unprompted="They helped without being asked",
    )
    @app_commands.guild_only()
    async def kudos(
        interaction: discord.Interaction,
        member: Someone,
        reason: Reason,
        member2: Someone | None = None,
        member3: Someone | None = None,
        values: Values | None = None,
        unprompted: bool = False,
    ) -> None:
        # Only the members picked in the options are thanked: a mention typed in the
        # reason is just text (and is escaped, so it pings nobody).
        users = {str(m.id): m for m in (member, member2, member3) if m is not None}
        command = c.GiveKudos(
            recipient_ids=tuple(users),
            reason=reason,
            tags=split_values(values),
            unprompted=unprompted,
            delivery_id=str(interaction.id),
        )
        await responder.run(interaction, command, users=users)

    return kudos


GUILDS_ONLY = app_commands.AppCommandContext(guild=True)


class OfferCommands(
    app_commands.Group,
    name="offer",
    description="Offer your help to anyone who wants it",
    guild_only=True,
):
    def __init__(self, responder: Responder) -> None:
        super().__init__(allowed_contexts=GUILDS_ONLY)
        self.responder = responder

    @app_commands.command(name="add", description="Offer help to anyone (open for 30 days)")
    @app_commands.describe(text="What you offer, e.g. I can pair on SQL query tuning")
    async def add(self, interaction: discord.Interaction, text: OfferText) -> None:
        await self.responder.run(
            interaction, c.CreateOffer(text=text, delivery_id=str(interaction.id))
        )

    @app_commands.command(name="list", description="Search the open offers of help")
    @app_commands.describe(search="Words to look for (optional)", page="Page of results")
    async def list_(
        self, interaction: discord.Interaction, search: Search | None = None, page: Page = 1
    ) -> None:
        await self.responder.run(interaction, c.ListOffers(query=search or "", page=page))

    @app_commands.command(name="close", description="Close your offer of help")
    @app_commands.describe(offer_id="The offer's number, from /offer list")
    @app_commands.rename(offer_id="id")
    async def close(self, interaction: discord.Interaction, offer_id: OfferId) -> None:
        await self.responder.run(interaction, c.CloseOffer(offer_id))

    @app_commands.command(name="renew", description="Keep your offer open for 30 more days")
    @app_commands.describe(offer_id="The offer's number, from /offer list")
    @app_commands.rename(offer_id="id")
    async def renew(self, interaction: discord.Interaction, offer_id: OfferId) -> None:
        await self.responder.run(interaction, c.RenewOffer(offer_id))


class ConnectionsCommands(
    app_commands.Group,
    name="connections",
    description="Your thanks, offers and data",
    guild_only=True,
):
    def __init__(self, responder: Responder) -> None:
        super().__init__(allowed_contexts=GUILDS_ONLY)
        self.responder = responder

    @app_commands.command(name="me", description="Your last 30 days: thanks and offers")
    async def me(self, interaction: discord.Interaction) -> None:
        await self.responder.run(interaction, c.ShowMe())

    @app_commands.command(name="optout", description="Don't name me in digests")
    async def optout(self, interaction: discord.Interaction) -> None:
        await self.responder.run(interaction, c.OptOut())

    @app_commands.command(name="optin", description="Name me in digests again")
    async def optin(self, interaction: discord.Interaction) -> None:
        await self.responder.run(interaction, c.OptIn())

    @app_commands.command(name="export", description="Everything kept about you, as JSON")
    async def export(self, interaction: discord.Interaction) -> None:
        await self.responder.run(interaction, c.ExportMyData())

    @app_commands.command(
        name="forget", description="Delete your offers and erase your name and words"
    )
    @app_commands.describe(confirm="True to erase for good; without it, I explain first")
    async def forget(self, interaction: discord.Interaction, confirm: bool = False) -> None:
        await self.responder.run(interaction, c.ForgetMe(confirmed=confirm))

    @app_commands.command(name="help", description="Every command, with an example")
    async def help_(self, interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="Smart Connections", description=HELP)
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=no_mentions()
        )
