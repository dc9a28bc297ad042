"""Digests posted through the fake Discord: embeds in the configured channel; a channel
the bot cannot use is reported to the admins and never holds up other communities."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import poster as discord_poster
from bot import cli
from bot.bootstrap import Store, open_store
from bot.clock import SystemClock
from bot.digest.errors import DigestNotDeliverable
from bot.digest.model import Digest, GiverLine, OfferLine, PostKey, Story
from bot.digest.publisher import DigestPublisher
from bot.digest.runner import DigestRunner
from bot.domain import Community
from bot.settings import Settings
from tests.databases import sqlite_url
from tests.digest_samples import quiet_digest
from tests.discord import payloads as p
from tests.discord.fake_discord import Channel, FakeDiscord, Guild, User
from tests.discord.harness import TOKEN, Bot, World, build_runtime

WEEK_START = datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
KEY = PostKey("discord:any", WEEK_START, claimed_at=datetime.now(UTC))


def a_digest(community_id: str, **changes: Any) -> Digest:
    fields: dict[str, Any] = {
        "community_id": community_id,
        "period_start": WEEK_START,
        "period_end": WEEK_START + timedelta(days=7),
        "kudos_count": 12,
        "givers_count": 5,
        "receivers_count": 7,
        "unprompted_count": 4,
        "new_offers_count": 2,
        "one_way_share": 0.75,
        "stories": (Story("*Ann*", ("Bob", "@everyone"), "fixed the build <@&1> @here"),),
        "givers": (GiverLine("Ann", 3, True), GiverLine("Cy", 1, False)),
        "offers": (OfferLine(7, "Dee", "I can pair on **SQL**"),),
        "prompt": "Review a pull request you were not asked to review.",
    }
    fields.update(changes)
    return Digest(**fields)


def embed_length(embed: dict[str, Any]) -> int:
    fields = sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    footer = len(embed.get("footer", {}).get("text", ""))
    return len(embed.get("title", "")) + len(embed.get("description", "")) + fields + footer


async def save_community(bot: Bot, community: Community) -> None:
    async with bot.store.uow() as uow:
        await uow.communities.save(community)
        await uow.commit()


async def test_a_digest_lands_as_embeds_in_the_configured_channel(bot: Bot) -> None:
    w = bot.world
    community = Community(id=w.community_id, digest_channel=str(w.general.id))
    await bot.runtime.poster.post_digest(community, a_digest(w.community_id), KEY)

    (post,) = await bot.channel_posts(w.general)
    assert post.json["allowed_mentions"] == {"parse": []}
    assert post.json.get("content") in (None, "")
    embeds = post.json["embeds"]
    assert [e["title"] for e in embeds] == [
        "The week in thanks · 26 Oct – 2 Nov 2026",
        "Helped without being asked",
        "Givers of the week",
        "Open offers of help",
        "This week's prompt",
    ]
    assert "**12** thank-yous from **5** people to **7** people" in embeds[0]["description"]
    assert "**75%** of the thanks were one-way" in embeds[0]["description"]
    (story,) = embeds[1]["fields"]
    assert story["name"] == "\\*Ann\\* → Bob, @\u200beveryone"
    assert story["value"] == "fixed the build <@\u200b&1> @\u200bhere"
    assert "• **Ann** thanked 3 people (their first thank-you here!)" in embeds[2]["description"]
    assert embeds[3]["fields"] == [
        {"name": "#7 from Dee", "value": "I can pair on \\*\\*SQL\\*\\*", "inline": False}
    ]
    assert embeds[4]["footer"]["text"].startswith("Thank someone with /kudos")


async def test_a_quiet_week_is_a_short_warm_post(bot: Bot) -> None:
    w = bot.world
    quiet = quiet_digest(w.community_id, WEEK_START, "Thank someone you never thanked before.")
    community = Community(id=w.community_id, digest_channel=str(w.general.id))
    await bot.runtime.poster.post_digest(community, quiet, KEY)
    (post,) = await bot.channel_posts(w.general)
    titles = [e["title"] for e in post.json["embeds"]]
    assert titles == ["The week in thanks · 26 Oct – 2 Nov 2026", "This week's prompt"]
    assert "A quiet week" in post.json["embeds"][0]["description"]


async def test_a_huge_week_stays_within_discords_limits(bot: Bot) -> None:
    w = bot.world
    huge = a_digest(
        w.community_id,
        stories=tuple(Story("N" * 80 + "*", ("R" * 80,) * 10, "_" * 1000) for _ in range(5)),
        givers=tuple(GiverLine("G" * 80 + "~", 99, i % 2 == 0) for i in range(10)),
        offers=tuple(OfferLine(i, "O" * 80, "|" * 500) for i in range(3)),
        prompt="P" * 300,
    )
    community = Community(id=w.community_id, digest_channel=str(w.general.id))
    await bot.runtime.poster.post_digest(community, huge, KEY)
    (post,) = await bot.channel_posts(w.general)
    embeds = post.json["embeds"]
    assert len(embeds) <= 10
    assert sum(embed_length(e) for e in embeds) <= 6000
    for embed in embeds:
        assert len(embed["title"]) <= 256 and len(embed.get("description", "")) <= 4096
        assert len(embed.get("fields", [])) <= 25
        assert all(
            len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024 for f in embed.get("fields", [])
        )
    # Every section is still there, shortened rather than dropped.
    assert len(embeds) == 5 and len(embeds[1]["fields"]) == 5


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        (None, "no digest channel is set"),
        ("quiet", "I need View Channel, Send Messages and Embed Links"),
        ("300000000000000404", "no longer exists"),
    ],
)
async def test_an_undeliverable_digest_is_audited_and_told_to_the_next_admin(
    bot: Bot, channel: str | None, expected: str
) -> None:
    w = bot.world
    channel_id = str(w.quiet.id) if channel == "quiet" else channel
    community = Community(id=w.community_id, digest_channel=channel_id)
    with pytest.raises(DigestNotDeliverable, match=expected):
        await bot.runtime.poster.post_digest(community, a_digest(w.community_id), KEY)

    async with bot.store.uow() as uow:
        (entry,) = await uow.audit.list(w.community_id)
    assert entry.action == "digest.post_failed" and expected in entry.detail

    stats = p.slash("connections-admin", p.subcommand("stats"))
    # A member's command does not see (nor use up) the notice; the next admin's does, once.
    assert "could not be posted" not in await bot.reply_text(w.alice, stats)
    first = await bot.reply_text(w.admin, stats)
    assert first.startswith("The weekly digest could not be posted: ")
    assert expected in first and "Last 8 weeks" in first
    assert "could not be posted" not in await bot.reply_text(w.admin, stats)


async def test_one_communitys_broken_channel_does_not_stop_the_others(
    bot: Bot, fake_second_guild: tuple[Guild, Channel]
) -> None:
    """The real digest runner, two Discord communities due: one posts, one cannot."""
    w = bot.world
    guild2, channel2 = fake_second_guild
    due = datetime.now(UTC) - timedelta(minutes=1)
    await save_community(
        bot, Community(id=w.community_id, digest_channel=str(w.quiet.id), next_digest_due_at=due)
    )
    await save_community(
        bot,
        Community(
            id=f"discord:{guild2.id}", digest_channel=str(channel2.id), next_digest_due_at=due
        ),
    )
    clock = SystemClock()
    delivery = bot.store.digests
    runner = DigestRunner(
        bot.store.uow,
        DigestPublisher(bot.store.uow, delivery, clock),
        clock,
        lambda: delivery.poster.platforms,
    )
    report = await runner.run_once()
    assert report.posted == 1
    assert report.posted + report.released + report.failed == 2
    (post,) = await bot.channel_posts(channel2)
    assert post.json["embeds"][0]["title"].startswith("The week in thanks")
    async with bot.store.uow() as uow:
        actions = [e.action for e in await uow.audit.list(w.community_id)]
    assert "digest.post_failed" in actions


@pytest.fixture
def fake_second_guild(bot: Bot) -> tuple[Guild, Channel]:
    channel = Channel(id=310000000000000001, name="digest")
    guild = bot.fake.add_guild(
        Guild(
            id=210000000000000001,
            name="Other",
            members=[User(id=110000000000000001, name="Zed")],
            channels=[channel],
        )
    )
    return guild, channel


async def test_a_digest_posts_even_when_the_bot_is_not_serving(
    fake: FakeDiscord, world: World, sqlite_store: Store
) -> None:
    """`smart-connections digest send` posts without a gateway: a short REST session."""
    runtime = build_runtime(fake, sqlite_store)
    community = Community(id=world.community_id, digest_channel=str(world.general.id))
    await runtime.poster.post_digest(community, a_digest(world.community_id), KEY)
    (post,) = fake.calls("POST", f"/channels/{world.general.id}/messages")
    assert post.json["embeds"][0]["title"].startswith("The week in thanks")
    assert post.authorization == f"Bot {TOKEN}"
    assert await runtime.poster.find_digest(community, claimed_now(world.community_id))
    assert fake.identify_count == 0


async def test_digest_send_on_the_command_line(
    fake: FakeDiscord,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(_env_file=None, database_url=sqlite_url(tmp_path))
    async with open_store(settings) as store, store.uow() as uow:
        due = datetime.now(UTC) + timedelta(days=3)
        community = Community(
            id=world.community_id, digest_channel=str(world.general.id), next_digest_due_at=due
        )
        await uow.communities.save(community)
        await uow.commit()
    for name, value in {
        "DATABASE_URL": sqlite_url(tmp_path),
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_BASE_URL": fake.api_url,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
    }.items():
        monkeypatch.setenv(name, value)
    argv = ["digest", "send", "--community", world.community_id]
    assert await asyncio.to_thread(cli.main, argv) == 0
    (post,) = fake.calls("POST", f"/channels/{world.general.id}/messages")
    assert post.json["embeds"][0]["title"].startswith("The week in thanks")


# --- finding a post an interrupted attempt left behind -------------------------------------


def claimed_now(community_id: str, ago: timedelta = timedelta(0)) -> PostKey:
    return PostKey(community_id, WEEK_START, claimed_at=datetime.now(UTC) - ago)


async def test_a_digest_posted_since_the_claim_is_found(bot: Bot) -> None:
    w = bot.world
    community = Community(id=w.community_id, digest_channel=str(w.general.id))
    key = claimed_now(w.community_id)
    assert not await bot.runtime.poster.find_digest(community, key)

    await bot.runtime.poster.post_digest(community, a_digest(w.community_id), key)

    assert await bot.runtime.poster.find_digest(community, key)
    (read, *_) = bot.fake.calls("GET", f"/channels/{w.general.id}/messages")
    assert int(read.query["after"]) > 0


async def test_a_digest_from_before_the_claim_or_by_someone_else_is_not_it(bot: Bot) -> None:
    w = bot.world
    community = Community(id=w.community_id, digest_channel=str(w.general.id))
    await bot.runtime.poster.post_digest(community, a_digest(w.community_id), KEY)
    (ours,) = bot.fake.channel_messages[w.general.id]
    # Someone's copy of our digest, pasted by another bot after the claim.
    copy = {**ours, "id": str(int(ours["id"]) + 1), "author": w.helper_bot.payload()}
    bot.fake.channel_messages[w.general.id].append(copy)

    # Last week's digest was posted before this claim: an hour later the claim is new.
    later = PostKey(w.community_id, WEEK_START, claimed_at=datetime.now(UTC) + timedelta(hours=1))
    assert not await bot.runtime.poster.find_digest(community, later)


async def test_a_channel_the_bot_cannot_read_says_not_found(bot: Bot) -> None:
    w = bot.world
    community = Community(id=w.community_id, digest_channel=str(w.general.id))
    await bot.runtime.poster.post_digest(community, a_digest(w.community_id), KEY)
    bot.fake.unreadable_channels.add(w.general.id)

    # Without Read Message History: posting again beats not posting at all.
    assert not await bot.runtime.poster.find_digest(community, claimed_now(w.community_id))


async def test_a_chatty_channel_is_read_in_pages_from_the_claim_on(bot: Bot) -> None:
    w = bot.world
    community = Community(id=w.community_id, digest_channel=str(w.general.id))
    key = claimed_now(w.community_id, ago=timedelta(minutes=5))
    await bot.runtime.poster.post_digest(community, a_digest(w.community_id), key)
    (ours,) = bot.fake.channel_messages[w.general.id]
    chatter = [
        {**ours, "id": str(int(ours["id"]) - 1000 + i), "embeds": [], "content": "hi"}
        for i in range(250)
    ]
    bot.fake.channel_messages[w.general.id][:0] = chatter  # 250 messages before ours

    assert await bot.runtime.poster.find_digest(community, key)
    assert len(bot.fake.calls("GET", f"/channels/{w.general.id}/messages")) == 3


async def test_a_look_up_that_runs_out_of_time_posts_again(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = bot.world
    community = Community(id=w.community_id, digest_channel=str(w.general.id))
    key = claimed_now(w.community_id)
    await bot.runtime.poster.post_digest(community, a_digest(w.community_id), key)
    monkeypatch.setattr(discord_poster, "LOOK_UP_SECONDS", 0.0)  # e.g. waiting out a 429

    assert not await bot.runtime.poster.find_digest(community, key)
