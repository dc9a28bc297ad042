"""Replies, public thank-yous and DMs as Slack text: every piece of user text escaped."""

from __future__ import annotations

from adapters.slack.markup import escape, mention, truncate
from bot.domain import Kudos
from bot.handlers.kudos import join_names
from bot.replies import KudosAnnouncement, Reply

# Slack shows at most 4,000 characters of a message's text; keep a margin for the rest.
MAX_TEXT = 3_500


def reply_text(reply: Reply) -> str:
    return truncate(escape(reply.text), MAX_TEXT)


def _tags(tags: tuple[str, ...]) -> str:
    return " ".join(f"#{escape(tag)}" for tag in tags)


def announcement_text(a: KudosAnnouncement) -> str:
    """The public thank-you: it mentions the recipients, and nobody else."""
    recipients = join_names(
        [mention(rid, name) for rid, name in zip(a.recipient_ids, a.recipient_names, strict=False)]
    )
    flag = " for helping without being asked" if a.unprompted else ""
    lines = [
        f":sparkles: {recipients}: *{escape(a.giver_name)}* thanks you{flag}!",
        f">{truncate(escape(a.reason), 2_000)}",
    ]
    if a.tags:
        lines.append(_tags(a.tags))
    return "\n".join(lines)


def thanked_dm_text(kudos: Kudos, giver_name: str) -> str:
    flag = " You helped without being asked: that is what this community celebrates most."
    lines = [
        f":sparkles: *{escape(giver_name)}* thanked you:",
        f">{truncate(escape(kudos.reason), 2_000)}",
    ]
    if kudos.tags:
        lines.append(_tags(kudos.tags))
    if kudos.unprompted:
        lines.append(flag.strip())
    lines.append("See all your thanks with `/connections me`.")
    return "\n".join(lines)
