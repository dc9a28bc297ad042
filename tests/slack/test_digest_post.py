"""The weekly digest as Block Kit, posted through the fake Slack within its limits."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.errors import SlackApiError

from adapters.slack import poster as slack_poster
from adapters.slack.digest_blocks import digest_blocks
from adapters.slack.poster import MAX_HISTORY_PAGES, NoDigestChannelError
from bot.digest.model import Digest, GiverLine, OfferLine, PostKey, Story
from bot.domain import Community
from tests.digest_samples import quiet_digest
from tests.slack.fake_slack import Failure
from tests.slack.harness import COMMUNITY, SlackWorld

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
KEY = PostKey(COMMUNITY, START, claimed_at=datetime.now(UTC))
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
    await world.runtime.poster.post_digest(community(), digest(), KEY)

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
        community(), digest(stories=5, givers=400, offers=60, reason="x" * 1000), KEY
    )

    [post] = world.fake.posted()
    blocks = post.args["blocks"]
    assert len(blocks) <= 50
    assert all(len(text) <= 3000 for text in sections(blocks))
    assert blocks[-1]["type"] == "context"  # how to take part survives the cut
    assert "Prompt of the week" in str(blocks)


def test_a_quiet_week_is_a_short_warm_post_with_the_prompt() -> None:
    quiet = quiet_digest(COMMUNITY, START, "Thank someone whose help usually goes unseen")

    blocks = digest_blocks(quiet)

    assert len(blocks) <= 6
    assert "A quiet week" in str(blocks) and "usually goes unseen" in str(blocks)


async def test_a_rate_limited_post_is_retried_after_retry_after(world: SlackWorld) -> None:
    world.fake.rate_limit_next("chat.postMessage", retry_after=1)

    await world.runtime.poster.post_digest(community(), digest(), KEY)

    refused, accepted = world.fake.calls_to("chat.postMessage")
    assert refused.args["refused"] == "ratelimited" and "refused" not in accepted.args
    assert accepted.at - refused.at >= 1.0
    assert accepted.args["blocks"] == refused.args["blocks"]


async def test_at_most_one_message_a_second_goes_to_a_channel(world: SlackWorld) -> None:
    other = Community(id=COMMUNITY, digest_channel="COTHER")

    await asyncio.gather(
        world.runtime.poster.post_digest(community(), digest(), KEY),
        world.runtime.poster.post_digest(community(), digest(), KEY),
        world.runtime.poster.post_digest(other, digest(), KEY),
    )

    same = [c.at for c in world.fake.posted() if c.args["channel"] == "CDIGEST"]
    elsewhere = [c.at for c in world.fake.posted() if c.args["channel"] == "COTHER"]
    assert len(same) == 2 and len(elsewhere) == 1
    assert abs(same[1] - same[0]) >= 0.9
    assert elsewhere[0] - min(same) < 0.5  # another channel does not wait its turn


async def test_the_bot_joins_a_public_digest_channel_it_is_not_in(world: SlackWorld) -> None:
    world.fake.channels_without_bot.add("CDIGEST")

    await world.runtime.poster.post_digest(community(), digest(), KEY)

    [join] = world.fake.calls_to("conversations.join")
    assert join.args["channel"] == "CDIGEST"
    assert [c.args["channel"] for c in world.fake.posted()] == ["CDIGEST"]


async def test_without_a_channel_the_post_fails_and_says_how_to_fix_it(world: SlackWorld) -> None:
    with pytest.raises(NoDigestChannelError, match="digest channel"):
        await world.runtime.poster.post_digest(community(channel=None), digest(), KEY)

    assert world.fake.calls_to("chat.postMessage") == []


# --- finding a post an interrupted attempt left behind -------------------------------------


def key_claimed(ago: timedelta = timedelta(0), period_start: datetime = START) -> PostKey:
    return PostKey(COMMUNITY, period_start, claimed_at=datetime.now(UTC) - ago)


async def test_a_posted_digest_is_found_by_its_claim_and_no_other(world: SlackWorld) -> None:
    key = key_claimed()
    poster = world.runtime.poster
    assert not await poster.find_digest(community(), key)  # nothing posted yet

    await poster.post_digest(community(), digest(), key)

    [post] = world.fake.posted()
    assert post.args["metadata"]["event_payload"] == {"claim": key.tag}
    assert await poster.find_digest(community(), key)
    next_week = key_claimed(period_start=START + timedelta(days=7))
    assert not await poster.find_digest(community(), next_week)
    assert not await poster.find_digest(Community(COMMUNITY, digest_channel="COTHER"), key)
    [read, *_] = world.fake.calls_to("conversations.history")
    assert read.args["channel"] == "CDIGEST" and read.args["include_all_metadata"] == "1"


async def test_a_look_up_reads_only_from_the_claim_on(world: SlackWorld) -> None:
    key = key_claimed(ago=timedelta(hours=2))
    await world.runtime.poster.post_digest(community(), digest(), key)
    world.fake.history["CDIGEST"][0]["ts"] = f"{(key.claimed_at - timedelta(hours=1)).timestamp()}"

    # A post from before the claim (an hour's clock error is not plausible) is not this one.
    assert not await world.runtime.poster.find_digest(community(), key)
    [read] = world.fake.calls_to("conversations.history")
    assert float(read.args["oldest"]) > key.claimed_at.timestamp() - 600


async def test_the_look_up_pages_through_a_busy_channel(world: SlackWorld) -> None:
    key = key_claimed()
    await world.runtime.poster.post_digest(community(), digest(), key)
    chatter = [
        {"type": "message", "ts": f"{datetime.now(UTC).timestamp() + i / 1000:.6f}", "text": "hi"}
        for i in range(450)
    ]
    world.fake.history["CDIGEST"].extend(chatter)  # 450 newer messages: the digest on page 3

    assert await world.runtime.poster.find_digest(community(), key)
    assert len(world.fake.calls_to("conversations.history")) == 3


async def test_the_look_up_stops_after_its_page_limit(world: SlackWorld) -> None:
    key = key_claimed()
    await world.runtime.poster.post_digest(community(), digest(), key)
    world.fake.history["CDIGEST"].extend(
        {"type": "message", "ts": f"{datetime.now(UTC).timestamp() + i / 1000:.6f}", "text": "x"}
        for i in range(200 * MAX_HISTORY_PAGES)
    )

    assert not await world.runtime.poster.find_digest(community(), key)
    assert len(world.fake.calls_to("conversations.history")) == MAX_HISTORY_PAGES


async def test_without_the_history_scope_the_look_up_says_not_found(world: SlackWorld) -> None:
    key = key_claimed()
    await world.runtime.poster.post_digest(community(), digest(), key)
    world.fake.missing_scopes.add("channels:history")

    # An install from before the scope was asked for: posting again beats not posting.
    assert not await world.runtime.poster.find_digest(community(), key)


async def test_a_channel_posted_to_without_joining_is_joined_to_look(world: SlackWorld) -> None:
    key = key_claimed()
    await world.runtime.poster.post_digest(community(), digest(), key)
    world.fake.channels_without_bot.add("CDIGEST")  # chat:write.public posts without joining

    assert await world.runtime.poster.find_digest(community(), key)
    [join] = world.fake.calls_to("conversations.join")
    assert join.args["channel"] == "CDIGEST"


async def test_a_look_up_slack_refuses_for_a_while_is_an_error_to_retry(
    world: SlackWorld,
) -> None:
    for _ in range(10):  # more than the client's own retries
        world.fake.fail_next(
            "conversations.history", Failure(500, {"ok": False, "error": "fatal_error"})
        )

    with pytest.raises(SlackApiError):
        await world.runtime.poster.find_digest(community(), key_claimed())


async def test_a_community_without_a_channel_has_nothing_to_find(world: SlackWorld) -> None:
    assert not await world.runtime.poster.find_digest(community(channel=None), key_claimed())
    assert world.fake.calls_to("conversations.history") == []


async def test_a_look_up_slack_rate_limits_gives_up_in_time_and_posts_again(
    world: SlackWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = key_claimed()
    await world.runtime.poster.post_digest(community(), digest(), key)
    # A distributed app outside the Marketplace: one history read a minute.
    monkeypatch.setattr(slack_poster, "LOOK_UP_SECONDS", 1.0)
    for _ in range(10):
        world.fake.rate_limit_next("conversations.history", retry_after=60)

    started = asyncio.get_running_loop().time()
    found = await world.runtime.poster.find_digest(community(), key)

    # Not found in time: the digest goes out again rather than waiting out its grace.
    assert not found
    assert asyncio.get_running_loop().time() - started < 5
