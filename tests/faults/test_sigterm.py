"""SIGTERM to a real `smart-connections run` (Slack and Discord against the fakes): the work
in flight is finished (a slow thank-you post still arrives) and the process exits cleanly
within 10 seconds."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import SHUTDOWN_SECONDS
from tests.databases import sqlite_url
from tests.discord.fake_discord import FakeDiscord
from tests.discord.harness import make_world
from tests.faults.bot_process import bot_environment, bot_process, discord_connected, free_port
from tests.faults.flaky_platforms import SlowSlack
from tests.slack.harness import SlackDriver, populate

DISCORD_TOKEN = "ODk5NjQ1.sigterm-test.discord-token"
SLOW_POST_SECONDS = 3.0


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[SlowSlack, FakeDiscord]]:
    slack, discord = SlowSlack(), FakeDiscord(DISCORD_TOKEN)
    populate(slack)
    make_world(discord)
    await slack.start()
    await discord.start()
    try:
        yield slack, discord
    finally:
        await discord.close()
        await slack.stop()


async def test_sigterm_finishes_the_work_in_flight_and_exits_within_ten_seconds(
    fakes: tuple[SlowSlack, FakeDiscord], tmp_path: Path
) -> None:
    slack, discord = fakes
    env = bot_environment(sqlite_url(tmp_path), slack, discord, free_port())
    async with bot_process(env, tmp_path) as bot:
        await discord_connected(discord)
        slack.slow["chat.postMessage"] = SLOW_POST_SECONDS
        answer = await SlackDriver(bot.url, slack).command(
            "/kudos", "<@UBOB> for staying late to fix the release"
        )
        assert "recorded" in answer.message
        await asyncio.sleep(0.2)  # the thank-you post is now under way (it takes 3 s)
        assert slack.posted() == []

        code, seconds = await bot.stop(signal.SIGTERM)

    assert code == 0, bot.log[-2000:]
    assert seconds < SHUTDOWN_SECONDS
    assert seconds > SLOW_POST_SECONDS - 1  # it did wait for the post...
    posted = [c.args["channel"] for c in slack.posted()]
    assert "CGENERAL" in posted  # ...which arrived
    assert "shutting down" in bot.log and "did not stop in time" not in bot.log
    assert discord.identify_count == 1 and not discord._sockets  # the gateway closed cleanly
