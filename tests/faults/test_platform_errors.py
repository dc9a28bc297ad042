"""Slack or Discord answering 5xx or 429 for a while: every post (thank-you, DM, answer,
digest) is retried with backoff and arrives exactly once: none lost, none doubled."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.bootstrap import Store, open_store
from bot.digest.publisher import DigestPublisher
from bot.digest.runner import DigestRunner
from bot.digest.timing import week_start_of
from bot.settings import Settings
from tests.databases import sqlite_url
from tests.discord import payloads as p
from tests.discord.fake_discord import APP_ID
from tests.discord.harness import TOKEN, build_runtime, make_world, running
from tests.faults.flaky_platforms import (
    DiscordFailure,
    FlakyDiscord,
    slack_rate_limit,
    slack_server_error,
)
from tests.harness import SettableClock
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import COMMUNITY, SlackWorld, populate, slack_world

REASON = "for the careful review of my migration"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[SlackWorld]:
    fake = FakeSlack()
    populate(fake)
    await fake.start()
    try:
        async with slack_world(fake, sqlite_url(tmp_path)) as running_world:
            yield running_world
    finally:
        await fake.stop()


def delivered(world: SlackWorld) -> Counter[str]:
    """Messages Slack accepted, per channel."""
    return Counter(str(c.args["channel"]) for c in world.fake.posted())


async def test_a_thank_you_and_its_dm_survive_slack_errors_and_rate_limits(
    world: SlackWorld,
) -> None:
    for failure in (slack_server_error(500), slack_rate_limit(0), slack_server_error(503)):
        world.fake.fail_next("chat.postMessage", failure)
    world.fake.fail_next("conversations.open", slack_server_error(500))

    answer = await world.slack.command("/kudos", f"<@UBOB> {REASON}")
    await world.settle()

    assert "recorded" in answer.message
    refused = [c for c in world.fake.calls_to("chat.postMessage") if c.args.get("refused")]
    assert len(refused) == 3  # each failed call was retried...
    assert delivered(world) == {"CGENERAL": 1, "DUBOB": 1}  # ...and each arrived once
    assert await world.kudos_count() == 1


async def test_a_digest_refused_longer_than_the_client_retries_is_posted_later_once(
    world: SlackWorld,
) -> None:
    channel = await world.slack.command(
        "/connections", "admin digest channel <#CDIGEST|digest>", user="UADMIN"
    )
    assert "CDIGEST" in channel.message
    community = await world.community()
    assert community is not None and community.next_digest_due_at is not None
    clock = SettableClock(community.next_digest_due_at + timedelta(minutes=1))
    store = world.store
    publisher = DigestPublisher(store.uow, store.digests, clock)
    runner = DigestRunner(store.uow, publisher, clock, lambda: store.digests.poster.platforms)
    # More 429s than the client retries: this post fails, and is recorded to retry.
    for _ in range(5):
        world.fake.fail_next("chat.postMessage", slack_rate_limit(0))

    first = await runner.run_once()
    clock.current += timedelta(minutes=2)  # past the first retry's backoff (1 minute)
    second = await runner.run_once()
    third = await runner.run_once()

    assert (first.failed, second.posted, third.posted) == (1, 1, 0)
    assert delivered(world)["CDIGEST"] == 1
    async with store.uow() as uow:
        record = await uow.digests.get(
            COMMUNITY, week_start_of(community.next_digest_due_at, community)
        )
    assert record is not None and (record.status, record.attempts) == ("posted", 2)


@pytest.fixture
async def flaky_discord() -> AsyncIterator[FlakyDiscord]:
    fake = FlakyDiscord(TOKEN)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def discord_store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(Settings(database_url=sqlite_url(tmp_path), _env_file=None)) as store:
        yield store


async def test_discord_errors_and_rate_limits_are_retried_and_nothing_doubles(
    flaky_discord: FlakyDiscord, discord_store: Store
) -> None:
    fake = flaky_discord
    w = make_world(fake)
    runtime = build_runtime(fake, discord_store)
    async with running(runtime):
        general = f"/channels/{w.general.id}/messages"
        fake.fail(general, DiscordFailure(500), DiscordFailure(429, 0.05))
        fake.fail(f"/webhooks/{APP_ID}/", DiscordFailure(429, 0.05))
        fake.fail("/users/@me/channels", DiscordFailure(429, 0.05))
        payload = fake.interaction(
            w.guild,
            w.alice,
            p.slash(
                "kudos",
                p.member("member", w.bob),
                p.text("reason", REASON),
                resolved_data=p.resolved(members=[w.bob]),
            ),
            channel=w.general,
        )
        await fake.send_interaction(payload)
        await fake.wait_until(lambda: len(fake.delivered(general)) >= 1, within=15)
        await fake.wait_until(lambda: len(fake.direct_messages()) >= 1, within=15)
        await asyncio.sleep(0.2)  # a double would arrive now

    answers = fake.delivered(f"/webhooks/{APP_ID}/{payload['token']}")
    assert len(fake.failed) == 4
    assert [a.json["content"] for a in answers] == [
        "Your thanks to Bob is recorded. Thank you for noticing!"
    ]
    assert len(fake.delivered(general)) == 1
    assert [to for to, r in fake.direct_messages() if id(r) not in map(id, fake.failed)] == [
        w.bob.id
    ]
    async with discord_store.uow() as uow:
        assert len(await uow.kudos.recent(f"discord:{w.guild.id}", 10)) == 1
