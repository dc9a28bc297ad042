"""Text for Discord: escaped user text, reply messages, the public thank-you, and the
`allowed_mentions` every message carries."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import discord

from bot.replies import KudosAnnouncement

MESSAGE_LIMIT = 2000  # characters of content in one Discord message

# The core writes commands in the Slack/console grammar; on Discord they are typed.
_DISCORD_SPELLING = (
    ("/connections admin ", "/connections-admin "),
    ("/connections forget confirm", "/connections forget confirm:True"),
)


# escape_mentions knows only real-length ids; "<@&1>" still renders as a (deleted) role.
_ANY_MENTION = re.compile(r"<@(?=[!&]?\d)")


def escape(text: str) -> str:
    """User text shown as typed: no markdown, no mention or @everyone/@here syntax."""
    escaped = discord.utils.escape_mentions(discord.utils.escape_markdown(text))
    return _ANY_MENTION.sub("<@\u200b", escaped)


def no_mentions() -> discord.AllowedMentions:
    return discord.AllowedMentions.none()


def recipients_only(user_ids: Iterable[str]) -> discord.AllowedMentions:
    """Ping exactly these users. Every field is set: discord.py defaults each to True."""
    return discord.AllowedMentions(
        everyone=False,
        roles=False,
        users=[discord.Object(id=int(uid)) for uid in user_ids],
        replied_user=False,
    )


def discord_spelling(text: str) -> str:
    for core, typed in _DISCORD_SPELLING:
        text = text.replace(core, typed)
    return text


def reply_chunks(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The core's plain-text reply, escaped, in messages that fit Discord's limit (split at
    line ends where possible, so that nothing is cut off)."""
    body = escape(discord_spelling(text)).strip() or "Done."
    chunks: list[str] = []
    current = ""
    for line in body.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def announcement(a: KudosAnnouncement) -> str:
    """The public thank-you: the recipients are mentioned (and pinged); everything typed by
    the giver is escaped, so that nothing in it can ping or format."""
    recipients = _join([f"<@{int(uid)}>" for uid in a.recipient_ids])
    flag = " for helping without being asked" if a.unprompted else ""
    lines = [f"**{escape(a.giver_name)}** thanked {recipients}{flag}!"]
    if a.reason:
        lines.append("> " + escape(a.reason))
    if a.tags:
        lines.append(" ".join(f"`#{tag}`" for tag in a.tags))
    text = "\n".join(lines)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"
