"""`/connections-admin …`: hidden from members by default_permissions(manage_guild), and
checked again when it runs (the core refuses anyone who is not an admin)."""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import replace

import discord
from discord import app_commands

from adapters.discord.responder import Responder
from bot import commands as c
from bot.parsing import MAX_ID
from bot.replies import Reply

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_CHOICES = [app_commands.Choice(name=day, value=i) for i, day in enumerate(WEEKDAYS)]
MAX_AUTOCOMPLETE = 25  # Discord shows at most 25 choices

PromptText = app_commands.Range[str, 1, 300]
PromptId = app_commands.Range[int, 1, MAX_ID]
KudosId = app_commands.Range[int, 1, MAX_ID]
Time = app_commands.Range[str, 1, 10]
TimeZone = app_commands.Range[str, 1, 64]
Someone = discord.Member | discord.User


GUILDS_ONLY = app_commands.AppCommandContext(guild=True)


class PostableChannel(app_commands.Transformer):
    """A channel option offering only channels a digest can be posted in."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(
        self, interaction: discord.Interaction, value: app_commands.AppCommandChannel
    ) -> app_commands.AppCommandChannel:
        return value


@functools.cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def matching_zones(typed: str) -> list[str]:
    typed = typed.strip().lower().replace(" ", "_")
    return [z for z in _zone_names() if typed in z.lower()][:MAX_AUTOCOMPLETE]


def missing_permissions(interaction: discord.Interaction, channel_id: int) -> list[str]:
    """What the bot lacks to post a digest in the channel (empty if unknown: not cached)."""
    guild = interaction.guild
    channel = guild.get_channel(channel_id) if guild is not None else None
    if guild is None or channel is None or guild.me is None:
        return []
    allowed = channel.permissions_for(guild.me)
    needed = {
        "View Channel": allowed.view_channel,
        "Send Messages": allowed.send_messages,
        "Embed Links": allowed.embed_links,
    }
    return [name for name, ok in needed.items() if not ok]


_CHANNEL_ID = re.compile(r"(?<=\b(?:in|to) )(\d{17,20})\b")


def link_channels(reply: Reply) -> Reply:
    """The core names the digest channel by its id: show it as a link to the channel."""
    return replace(reply, text=_CHANNEL_ID.sub(r"<#\1>", reply.text))


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def channel_reply(missing: list[str]) -> Callable[[Reply], Reply]:
    """…and warn when the bot cannot post in the new digest channel yet."""

    def decorate(reply: Reply) -> Reply:
        reply = link_channels(reply)
        if not reply.ok or not missing:
            return reply
        warning = (
            f"I can't post there yet: please give me {_and(missing)} in that channel, "
            "or the digest will fail."
        )
        return replace(reply, text=f"{reply.text}\n{warning}")

    return decorate


class AdminCommands(
    app_commands.Group,
    name="connections-admin",
    description="Admin: the digest, prompts, limits, admins and stats",
    guild_only=True,
    default_permissions=discord.Permissions(manage_guild=True),
):
    digest = app_commands.Group(name="digest", description="The weekly digest")
    prompt = app_commands.Group(name="prompt", description="The prompts of the week")
    limit = app_commands.Group(name="limit", description="Limits that keep thanks authentic")

    def __init__(self, responder: Responder) -> None:
        super().__init__(allowed_contexts=GUILDS_ONLY)
        self.responder = responder

    async def _run(self, interaction: discord.Interaction, command: c.AdminCommand) -> None:
        await self.responder.run(interaction, command, admin=True, decorate=link_channels)

    @digest.command(name="channel", description="Where the weekly digest is posted")
    @app_commands.describe(channel="A text or announcement channel")
    async def digest_channel(
        self,
        interaction: discord.Interaction,
        channel: app_commands.Transform[app_commands.AppCommandChannel, PostableChannel],
    ) -> None:
        decorate = channel_reply(missing_permissions(interaction, channel.id))
        await self.responder.run(
            interaction, c.SetDigestChannel(str(channel.id)), admin=True, decorate=decorate
        )

    @digest.command(name="schedule", description="The digest's day, time and time zone")
    @app_commands.describe(
        day="Day of the week",
        time="24-hour time, e.g. 09:00",
        timezone="IANA time zone, e.g. Europe/Berlin (default: unchanged)",
    )
    @app_commands.choices(day=DAY_CHOICES)
    async def digest_schedule(
        self,
        interaction: discord.Interaction,
        day: app_commands.Choice[int],
        time: Time,
        timezone: TimeZone | None = None,
    ) -> None:
        command = c.SetDigestSchedule(weekday=day.value, time=time.strip(), timezone=timezone)
        await self._run(interaction, command)

    @digest_schedule.autocomplete("timezone")
    async def _timezones(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in matching_zones(current)]

    @digest.command(name="pause", description="Stop posting the digest")
    async def digest_pause(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, c.PauseDigest())

    @digest.command(name="resume", description="Post the digest again")
    async def digest_resume(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, c.ResumeDigest())

    @digest.command(name="preview", description="See this week's digest (only you see it)")
    async def digest_preview(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, c.PreviewDigest())

    @digest.command(name="now", description="Post this week's digest now")
    async def digest_now(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, c.SendDigestNow())

    @prompt.command(name="add", description="Add a prompt of the week")
    @app_commands.describe(text="e.g. Review a pull request you were not asked to review")
    async def prompt_add(self, interaction: discord.Interaction, text: PromptText) -> None:
        await self._run(interaction, c.AddPrompt(text=text))

    @prompt.command(name="list", description="The prompts in rotation")
    async def prompt_list(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, c.ListPrompts())

    @prompt.command(name="remove", description="Remove a prompt")
    @app_commands.describe(prompt_id="The prompt's number, from /connections-admin prompt list")
    @app_commands.rename(prompt_id="id")
    async def prompt_remove(self, interaction: discord.Interaction, prompt_id: PromptId) -> None:
        await self._run(interaction, c.RemovePrompt(prompt_id))

    @limit.command(name="daily", description="Kudos each member may give a day (0 = no limit)")
    @app_commands.describe(value="0 to 1000")
    async def limit_daily(
        self, interaction: discord.Interaction, value: app_commands.Range[int, 0, 1000]
    ) -> None:
        await self._run(interaction, c.SetLimit(kind="daily", value=value))

    @limit.command(name="reason", description="The shortest reason a kudos may have")
    @app_commands.describe(value="Characters, 1 to 500")
    async def limit_reason(
        self, interaction: discord.Interaction, value: app_commands.Range[int, 1, 500]
    ) -> None:
        await self._run(interaction, c.SetLimit(kind="reason", value=value))

    @limit.command(name="burst", description="Kudos each member may give a minute (0 = no limit)")
    @app_commands.describe(value="0 to 100")
    async def limit_burst(
        self, interaction: discord.Interaction, value: app_commands.Range[int, 0, 100]
    ) -> None:
        await self._run(interaction, c.SetLimit(kind="burst", value=value))

    @app_commands.command(name="recent", description="The latest kudos, with their numbers")
    async def recent(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, c.ListRecentKudos())

    @app_commands.command(name="hide", description="Leave a kudos out of the digests")
    @app_commands.describe(kudos_id="The kudos' number, from /connections-admin recent")
    @app_commands.rename(kudos_id="id")
    async def hide(self, interaction: discord.Interaction, kudos_id: KudosId) -> None:
        await self._run(interaction, c.HideKudos(kudos_id, hidden=True))

    @app_commands.command(name="unhide", description="Show a hidden kudos in digests again")
    @app_commands.describe(kudos_id="The kudos' number, from /connections-admin recent")
    @app_commands.rename(kudos_id="id")
    async def unhide(self, interaction: discord.Interaction, kudos_id: KudosId) -> None:
        await self._run(interaction, c.HideKudos(kudos_id, hidden=False))

    @app_commands.command(name="grant", description="Let a member use the admin commands")
    @app_commands.describe(member="The member to name as an admin")
    async def grant(self, interaction: discord.Interaction, member: Someone) -> None:
        await self.responder.run(
            interaction, c.GrantAdmin(str(member.id)), users={str(member.id): member}, admin=True
        )

    @app_commands.command(name="revoke", description="Un-name an admin")
    @app_commands.describe(member="The named admin")
    async def revoke(self, interaction: discord.Interaction, member: Someone) -> None:
        await self.responder.run(
            interaction, c.RevokeAdmin(str(member.id)), users={str(member.id): member}, admin=True
        )

    @app_commands.command(name="stats", description="The last 8 weeks in numbers")
    async def stats(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, c.ShowStats())
