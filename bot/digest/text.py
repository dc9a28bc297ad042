"""The digest as plain text: the console's body and every platform's text fallback.

Names are display names, never mentions; adapters escape the text for their platform.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from bot.digest.model import Digest, GiverLine, OfferLine, Story
from bot.schedule import load_zone

QUIET_WEEK = (
    "A quiet week: no thank-yous were recorded. Quiet weeks happen, and one small act of "
    "help, given without being asked, is all it takes to start the next one."
)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def join_names(names: tuple[str, ...] | list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def period_label(digest: Digest) -> str:
    """The week's first and last local day, e.g. "2–8 Mar 2026" or "27 Feb – 5 Mar 2026"."""
    zone = load_zone(digest.timezone) or UTC
    first = digest.period_start.astimezone(zone)
    last = (digest.period_end - timedelta(microseconds=1)).astimezone(zone)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def title(digest: Digest) -> str:
    return f"Weekly digest · {period_label(digest)}"


def numbers_line(digest: Digest) -> str:
    return (
        f"The week in numbers: {_plural(digest.kudos_count, 'kudos', 'kudos')} from "
        f"{_plural(digest.givers_count, 'giver', 'givers')} to "
        f"{_plural(digest.receivers_count, 'person', 'people')} · "
        f"{digest.unprompted_count:,} unprompted · "
        f"{_plural(digest.new_offers_count, 'new offer', 'new offers')} of help"
    )


def one_way_line(digest: Digest) -> str | None:
    if digest.one_way_share is None:
        return None
    return (
        f"{digest.one_way_share:.0%} of the thanks were one-way: "
        "given freely, not a favour returned within 14 days."
    )


def story_line(story: Story) -> str:
    return f"{story.giver_name} → {join_names(story.receiver_names)}: {story.reason}"


def giver_line(giver: GiverLine) -> str:
    first = " (their first kudos here!)" if giver.first_time else ""
    return f"{giver.name}{first} thanked {_plural(giver.people_thanked, 'person', 'people')}"


def offer_line(offer: OfferLine) -> str:
    return f"#{offer.offer_id} {offer.owner_name}: {offer.text}"


def digest_text(digest: Digest) -> str:
    lines = [title(digest)]
    if digest.quiet:
        lines.append(QUIET_WEEK)
    else:
        lines.append(numbers_line(digest))
        one_way = one_way_line(digest)
        if one_way:
            lines.append(one_way)
        if digest.stories:
            lines += ["", "Helped without being asked:"]
            lines += [f"• {story_line(s)}" for s in digest.stories]
        if digest.givers:
            lines += ["", "Givers of the week:"]
            lines += [f"• {giver_line(g)}" for g in digest.givers]
    if digest.offers:
        lines += ["", "Open offers of help:"]
        lines += [f"• {offer_line(o)}" for o in digest.offers]
    lines += [
        "",
        f"Prompt of the week: {digest.prompt}",
        f"How to take part: {digest.how_to_take_part}",
    ]
    return "\n".join(lines)
