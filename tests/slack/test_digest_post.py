"""The weekly digest as Block Kit, posted through the fake Slack within its limits."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from adapters.slack.digest_blocks import digest_blocks
from adapters.slack.poster import NoDigestChannelError
from bot.digest.model import Digest, GiverLine, OfferLine, Story
from bot.domain import Community
from tests.slack.harness import COMMUNITY, SlackWorld

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
PINGS = re.compile(r"<!|<@|@(?:channel|here|everyone)\b", re.IGNORECASE)


def digest(
    stories: int = 2, givers: int = 3, offers: int = 2, reason: str = "stayed late to help"
) -> Digest:
    return Digest(
        community_id=COMMUNITY,
        period_start=START,
        period_end=START + timedelta(days=7),
        kudos_count=12,
        givers_count=givers,
        receivers_count=7,
        unprompted_count=stories,
        new_offers_count=offers,
        one_way_share=0.75,
        stories=tuple(
            Story(f"Giver {i}", (f"Receiver {i}", "<!here> Mallory @channel"), reason)
            for i in range(stories)
        ),
        givers=tuple(GiverLine(f"<@UEVE> Person {i}", i % 4 + 1, i == 0) for i in range(givers)),
        offers=tuple(
            OfferLine(i + 1, f"Owner {i}", f"I can help with {i} @here") for i in range(offers)
        ),
        prompt="Review a pull request you were not asked to review",
        timezone="Europe/Berlin",
    )


def community(channel: str | None = "CDIGEST") -> Community:
    return Community(id=COMMUNITY, digest_channel=channel)


def sections(blocks: list[dict[str, object]]) -> list[str]:
    texts = []
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            texts.append(str(text["text"]))
    return texts


async def test_a_digest_is_posted_as_block_kit_that_pings_nobody(world: SlackWorld) -> None:
    await world.runtime.poster.post_digest(community(), digest())

    [post] = world.fake.posted()
    blocks = post.args["blocks"]
    assert post.args["channel"] == "CDIGEST"
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "This week's connections · week of 2 November 2026"},
    }
    everything = str(blocks) + post.args["text"]
    assert "Giver 0" in everything and "Receiver 1" in everything and "75%" in everything
    assert "Review a pull request you were not asked to review" in everything
    assert PINGS.search(everything) is None


async def test_a_huge_week_stays_within_slacks_limits(world: SlackWorld) -> None:
    await world.runtime.poster.post_digest(
        community(), digest(stories=5, givers=400, offers=60, reason="x" * 1000)
    )

    [post] = world.fake.posted()
    blocks = post.args["blocks"]
    assert len(blocks) <= 50
    assert all(len(text) <= 3000 for text in sections(blocks))
    assert blocks[-1]["type"] == "context"  # how to take part survives the cut
    assert "Prompt of the week" in str(blocks)


def test_a_quiet_week_is_a_short_warm_post_with_the_prompt() -> None:
    quiet = Digest(
        community_id=COMMUNITY,
        period_start=START,
        period_end=START + timedelta(days=7),
        kudos_count=0,
        givers_count=0,
        receivers_count=0,
        unprompted_count=0,
        new_offers_count=0,
        one_way_share=None,
        stories=(),
        givers=(),
        offers=(),
        prompt="Thank someone whose help usually goes unseen",
    )

    blocks = digest_blocks(quiet)

    assert len(blocks) <= 6
    assert "A quiet week" in str(blocks) and "usually goes unseen" in str(blocks)


async def test_a_rate_limited_post_is_retried_after_retry_after(world: SlackWorld) -> None:
    world.fake.rate_limit_next("chat.postMessage", retry_after=1)

    await world.runtime.poster.post_digest(community(), digest())

    refused, accepted = world.fake.calls_to("chat.postMessage")
    assert refused.args["refused"] == "ratelimited" and "refused" not in accepted.args
    assert accepted.at - refused.at >= 1.0
    assert accepted.args["blocks"] == refused.args["blocks"]


async def test_at_most_one_message_a_second_goes_to_a_channel(world: SlackWorld) -> None:
    other = Community(id=COMMUNITY, digest_channel="COTHER")

    await asyncio.gather(
        world.runtime.poster.post_digest(community(), digest()),
        world.runtime.poster.post_digest(community(), digest()),
        world.runtime.poster.post_digest(other, digest()),
    )

    same = [c.at for c in world.fake.posted() if c.args["channel"] == "CDIGEST"]
    elsewhere = [c.at for c in world.fake.posted() if c.args["channel"] == "COTHER"]
    assert len(same) == 2 and len(elsewhere) == 1
    assert abs(same[1] - same[0]) >= 0.9
    assert elsewhere[0] - min(same) < 0.5  # another channel does not wait its turn


async def test_the_bot_joins_a_public_digest_channel_it_is_not_in(world: SlackWorld) -> None:
    world.fake.channels_without_bot.add("CDIGEST")

    await world.runtime.poster.post_digest(community(), digest())

    [join] = world.fake.calls_to("conversations.join")
    assert join.args["channel"] == "CDIGEST"
    assert [c.args["channel"] for c in world.fake.posted()] == ["CDIGEST"]


async def test_without_a_channel_the_post_fails_and_says_how_to_fix_it(world: SlackWorld) -> None:
    with pytest.raises(NoDigestChannelError, match="digest channel"):
        await world.runtime.poster.post_digest(community(channel=None), digest())

    assert world.fake.calls_to("chat.postMessage") == []
