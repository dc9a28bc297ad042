"""The weekly digest as Block Kit, within Slack's limits: 50 blocks a message, 3,000
characters a section. Names are written as text, so the digest pings nobody."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.slack.markup import escape, truncate
from bot.digest.model import Digest
from bot.handlers.kudos import join_names

MAX_BLOCKS = 50
MAX_SECTION = 3_000
MAX_FIELD = 2_000
MAX_HEADER = 150
MAX_STORY = 600

Block = dict[str, Any]


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, MAX_SECTION)}}


def _context(text: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate(text, MAX_SECTION)}],
    }


def _line_sections(title: str, lines: list[str]) -> list[Block]:
    """A titled list split over as few sections as fit 3,000 characters each."""
    blocks: list[Block] = []
    current = f"*{title}*"
    for line in lines:
        line = truncate(line, MAX_SECTION - 50)
        if len(current) + 1 + len(line) > MAX_SECTION:
            blocks.append(_section(current))
            current = line
        else:
            current = f"{current}\n{line}"
    blocks.append(_section(current))
    return blocks


def _week(digest: Digest) -> str:
    try:
        zone = ZoneInfo(digest.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    start = digest.period_start.astimezone(zone)
    return f"{start.day} {start:%B %Y}"


def _numbers(d: Digest) -> Block:
    facts = [
        ("Thank-yous", str(d.kudos_count)),
        ("People who thanked", str(d.givers_count)),
        ("People thanked", str(d.receivers_count)),
        ("Helped without being asked", str(d.unprompted_count)),
        ("New offers of help", str(d.new_offers_count)),
    ]
    if d.one_way_share is not None:
        facts.append(("One-way thanks", f"{d.one_way_share:.0%}"))
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in facts],
    }


def digest_blocks(digest: Digest, max_blocks: int = MAX_BLOCKS) -> list[Block]:
    head: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": truncate(f"This week's connections · week of {_week(digest)}", MAX_HEADER),
            },
        }
    ]
    body: list[Block] = []
    if digest.quiet:
        body.append(
            _section(
                "A quiet week: no thank-yous were recorded. Help often goes unseen; "
                "this week, notice someone's and tell them."
            )
        )
    else:
        body.append(_numbers(digest))
    if digest.stories:
        body.append({"type": "divider"})
        body.append(_section("*Helped without being asked*"))
        for story in digest.stories:
            receivers = join_names([f"*{escape(n)}*" for n in story.receiver_names])
            reason = truncate(escape(story.reason), MAX_STORY)
            body.append(_section(f"*{escape(story.giver_name)}* → {receivers}\n>{reason}"))
    if digest.givers:
        lines = []
        for giver in digest.givers:
            people = "person" if giver.people_thanked == 1 else "people"
            first = " · first thank-you here, welcome!" if giver.first_time else ""
            lines.append(f"• *{escape(giver.name)}* thanked {giver.people_thanked} {people}{first}")
        body.append({"type": "divider"})
        body.extend(_line_sections("Givers this week", lines))
    if digest.offers:
        lines = [
            f"• #{o.offer_id} *{escape(o.owner_name)}*: {truncate(escape(o.text), 300)}"
            for o in digest.offers
        ]
        body.append({"type": "divider"})
        body.extend(_line_sections("Open offers of help", lines))
    tail: list[Block] = [
        {"type": "divider"},
        _section(f"*Prompt of the week*\n>{truncate(escape(digest.prompt), 2_000)}"),
        _context(escape(digest.how_to_take_part)),
    ]
    room = max_blocks - len(head) - len(tail)
    if len(body) > room:
        body = [*body[: room - 1], _context("…and more: see `/offer list` for every open offer.")]
    return head + body + tail


def digest_fallback_text(digest: Digest) -> str:
    """The notification text (and what screen readers announce first)."""
    if digest.quiet:
        return f"This week's connections: a quiet week. Prompt: {escape(digest.prompt)}"
    return (
        f"This week's connections: {digest.kudos_count} thank-yous from "
        f"{digest.givers_count} people, {digest.unprompted_count} for help nobody asked for."
    )
