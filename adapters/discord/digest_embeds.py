"""The weekly digest as Discord embeds, within Discord's limits for one message.

Limits (Discord's): 10 embeds a message and 6,000 characters over all of them; a title
256, a description 4,096, 25 fields, a field name 256 and value 1,024, a footer 2,048.
Every piece is cut to its own limit first; if the message is still too long, the longest
pieces are shortened (with "…") until it fits, so the digest is one post and never refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import discord

from adapters.discord.render import escape
from bot.digest.model import Digest, Story

MAX_EMBEDS = 10
MAX_TOTAL = 6000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
_MIN_PIECE = 40  # shorter than this, a piece says nothing: drop fields instead
COLOUR = discord.Colour(0xF2A03D)  # warm amber: a thank-you, not an alert


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


@dataclass
class EmbedSpec:
    title: str
    description: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    footer: str = ""

    def clamp(self) -> None:
        self.title = shorten(self.title, MAX_TITLE)
        self.description = shorten(self.description, MAX_DESCRIPTION)
        self.fields = [
            (shorten(name, MAX_FIELD_NAME), shorten(value, MAX_FIELD_VALUE))
            for name, value in self.fields[:MAX_FIELDS]
        ]
        self.footer = shorten(self.footer, MAX_FOOTER)

    def length(self) -> int:
        fields = sum(len(n) + len(v) for n, v in self.fields)
        return len(self.title) + len(self.description) + fields + len(self.footer)

    def to_embed(self) -> discord.Embed:
        embed = discord.Embed(title=self.title, description=self.description or None)
        embed.colour = COLOUR
        for name, value in self.fields:
            embed.add_field(name=name, value=value, inline=False)
        if self.footer:
            embed.set_footer(text=self.footer)
        return embed


# The first embed's title begins so: how a digest post of ours is recognised in a channel.
DIGEST_TITLE = "The week in thanks"


def fit(specs: list[EmbedSpec]) -> list[EmbedSpec]:
    """Clamp every piece, then shorten the longest ones until the message fits."""
    specs = specs[:MAX_EMBEDS]
    for spec in specs:
        spec.clamp()
    while (excess := sum(s.length() for s in specs) - MAX_TOTAL) > 0:
        spec, kind, index, text = max(_pieces(specs), key=lambda p: len(p[3]))
        if len(text) <= _MIN_PIECE:
            _drop_last_field(specs)
            continue
        cut = shorten(text, max(_MIN_PIECE, len(text) - excess))
        if kind == "description":
            spec.description = cut
        elif kind == "footer":
            spec.footer = cut
        else:
            name, _ = spec.fields[index]
            spec.fields[index] = (name, cut)
    return specs


def _pieces(specs: list[EmbedSpec]) -> list[tuple[EmbedSpec, str, int, str]]:
    pieces: list[tuple[EmbedSpec, str, int, str]] = []
    for spec in specs:
        pieces.append((spec, "description", 0, spec.description))
        pieces.append((spec, "footer", 0, spec.footer))
        pieces.extend((spec, "field", i, value) for i, (_, value) in enumerate(spec.fields))
    return pieces


def _drop_last_field(specs: list[EmbedSpec]) -> None:
    for spec in reversed(specs):
        if spec.fields:
            spec.fields.pop()
            return
    raise ValueError("a digest without fields cannot exceed Discord's limit")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def week_label(start: datetime, end: datetime, timezone: str) -> str:
    """The days of the week, e.g. `26 Oct – 2 Nov 2026`, in the community's time zone."""
    zone = _zone(timezone)
    first = start.astimezone(zone)
    last = (end - timedelta(microseconds=1)).astimezone(zone)
    end_day = f"{last.day} {last:%b %Y}"
    if first.year != last.year:
        return f"{first.day} {first:%b %Y} – {end_day}"
    if first.month != last.month:
        return f"{first.day} {first:%b} – {end_day}"
    return f"{first.day} – {end_day}"


def _plural(n: int, one: str, many: str) -> str:
    return f"**{n}** {one if n == 1 else many}"


def _numbers(d: Digest) -> str:
    if d.quiet:
        lines = [
            "A quiet week: nobody was thanked here yet. The next thank-you could be yours, "
            "and help given without being asked is the kind we celebrate most."
        ]
    else:
        lines = [
            f"{_plural(d.kudos_count, 'thank-you', 'thank-yous')} from "
            f"{_plural(d.givers_count, 'person', 'people')} to "
            f"{_plural(d.receivers_count, 'person', 'people')}",
            f"{_plural(d.unprompted_count, 'act', 'acts')} of help given without being asked",
        ]
        if d.one_way_share is not None:
            lines.append(f"**{d.one_way_share:.0%}** of the thanks were one-way: given, not traded")
    if d.new_offers_count:
        lines.append(f"{_plural(d.new_offers_count, 'new offer', 'new offers')} of help")
    return "\n".join(lines)


def _story(s: Story) -> tuple[str, str]:
    receivers = ", ".join(escape(n) for n in s.receiver_names)
    return f"{escape(s.giver_name)} → {receivers}", escape(s.reason) or "…"


def digest_embeds(d: Digest) -> list[discord.Embed]:
    specs = [
        EmbedSpec(
            title=f"{DIGEST_TITLE} · {week_label(d.period_start, d.period_end, d.timezone)}",
            description=_numbers(d),
        )
    ]
    if d.stories:
        specs.append(
            EmbedSpec(
                title="Helped without being asked",
                fields=[_story(s) for s in d.stories],
            )
        )
    if d.givers:
        lines = [
            f"• **{escape(g.name)}** thanked {g.people_thanked} "
            f"{'person' if g.people_thanked == 1 else 'people'}"
            + (" (their first thank-you here!)" if g.first_time else "")
            for g in d.givers
        ]
        specs.append(EmbedSpec(title="Givers of the week", description="\n".join(lines)))
    if d.offers:
        specs.append(
            EmbedSpec(
                title="Open offers of help",
                fields=[
                    (f"#{o.offer_id} from {escape(o.owner_name)}", escape(o.text)) for o in d.offers
                ],
            )
        )
    specs.append(
        EmbedSpec(
            title="This week's prompt",
            description=escape(d.prompt),
            footer=d.how_to_take_part,
        )
    )
    return [spec.to_embed() for spec in fit(specs)]
