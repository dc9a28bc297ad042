"""The digest as text: the console's channel post, the admin's preview, and the routing of
posts to the platform that runs a community."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.console.poster import ConsolePoster
from adapters.console.render import render_digest, render_reply
from bot.digest.errors import DigestNotDeliverable
from bot.digest.model import Digest, GiverLine, OfferLine, PostKey, Story
from bot.digest.routing import RoutingPoster
from bot.digest.text import QUIET_WEEK, digest_text, period_label
from bot.domain import Community
from bot.replies import Reply
from tests.digest_samples import quiet_digest

KEY = PostKey("console:local", datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC))
WEEK = dict(
    community_id="console:local",
    period_start=datetime(2026, 3, 2, 8, tzinfo=UTC),
    period_end=datetime(2026, 3, 9, 8, tzinfo=UTC),
    timezone="Europe/Berlin",
)


def full() -> Digest:
    return Digest(
        **WEEK,  # type: ignore[arg-type]
        kudos_count=12,
        givers_count=1,
        receivers_count=9,
        unprompted_count=4,
        new_offers_count=1,
        one_way_share=0.75,
        stories=(Story("Alice", ("Bob", "Carol", "Dan"), "for untangling the release script"),),
        givers=(GiverLine("Heidi", 3, first_time=True), GiverLine("Alice", 1, first_time=False)),
        offers=(OfferLine(7, "Zoë", "Je peux relire vos textes"),),
        prompt="Answer a question in a channel you don't usually read.",
    )


def quiet() -> Digest:
    return quiet_digest(
        "console:local",
        datetime(2026, 3, 2, 8, tzinfo=UTC),
        "Pair with someone new.",
        timezone="Europe/Berlin",
    )


def test_the_channel_post_has_every_section_in_order() -> None:
    text = render_digest(full(), channel="general")
    lines = text.splitlines()
    assert lines[0] == "[channel #general] Weekly digest · 2–9 Mar 2026"
    assert lines[1] == (
        "  The week in numbers: 12 kudos from 1 giver to 9 people · 4 unprompted · "
        "1 new offer of help"
    )
    assert "  75% of the thanks were one-way" in lines[2]
    assert lines.index("  Helped without being asked:") < lines.index("  Givers of the week:")
    assert "  • Alice → Bob, Carol and Dan: for untangling the release script" in lines
    assert "  • Heidi (their first kudos here!) thanked 3 people" in lines
    assert "  • Alice thanked 1 person" in lines
    assert "  • #7 Zoë: Je peux relire vos textes" in lines
    assert (
        lines[-2] == "  Prompt of the week: Answer a question in a channel you don't usually read."
    )
    assert lines[-1].startswith("  How to take part: Thank someone with /kudos")


def test_a_quiet_week_is_short_and_warm() -> None:
    text = digest_text(quiet())
    assert text.splitlines()[1] == QUIET_WEEK
    assert "numbers" not in text and "Givers" not in text
    assert "Prompt of the week: Pair with someone new." in text


def test_a_preview_reply_renders_the_digest_for_the_admin() -> None:
    digest = full()
    text = render_reply(Reply(text="fallback", digest=digest))
    assert text.startswith("Preview of this week's digest (only you can see this):")
    assert "fallback" not in text and "Alice → Bob" in text


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (datetime(2026, 3, 2, 8, tzinfo=UTC), datetime(2026, 3, 9, 8, tzinfo=UTC), "2–9 Mar 2026"),
        (
            datetime(2026, 2, 25, 8, tzinfo=UTC),
            datetime(2026, 3, 4, 8, tzinfo=UTC),
            "25 Feb – 4 Mar 2026",
        ),
        (
            datetime(2026, 12, 28, 8, tzinfo=UTC),
            datetime(2027, 1, 4, 8, tzinfo=UTC),
            "28 Dec 2026 – 4 Jan 2027",
        ),
        # Midnight local: the week's last day is the day before its end.
        (
            datetime(2026, 3, 1, 23, tzinfo=UTC),
            datetime(2026, 3, 8, 23, tzinfo=UTC),
            "2–8 Mar 2026",
        ),
    ],
)
def test_the_period_is_shown_in_local_days(start: datetime, end: datetime, label: str) -> None:
    digest = quiet()
    digest = Digest(**{**digest.__dict__, "period_start": start, "period_end": end})
    assert period_label(digest) == label


async def test_posts_go_to_the_poster_of_the_community_platform() -> None:
    printed: list[str] = []
    routing = RoutingPoster({"console": ConsolePoster(printed.append)})
    await routing.post_digest(Community("console:local", digest_channel="general"), quiet(), KEY)
    assert printed[0].startswith("[channel #general] Weekly digest")
    assert routing.platforms == ("console",)
    with pytest.raises(DigestNotDeliverable, match="slack adapter is not running"):
        await routing.post_digest(Community("slack:T012AB"), quiet(), KEY)
