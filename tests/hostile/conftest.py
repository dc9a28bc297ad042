"""One running bot per path (console, Slack, Discord) for a whole test module: the corpus is
hundreds of inputs, and a fresh bot for each would take minutes. Each world has a member
per corpus entry (giver and person thanked), so limits and pacing never mix inputs up."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import aiohttp
import discord.gateway
import discord.http
import pytest
import pytest_asyncio

from adapters.console.directory import COMMUNITY_ID, ConsoleDirectory
from adapters.console.notifier import ConsoleNotifier
from adapters.slack.runtime import SlackRuntime
from bot.bootstrap import Store, build_service, open_store
from bot.clock import SystemClock
from bot.digest.actions import ensure_community
from bot.service import ConnectionsService
from bot.settings import Settings
from tests.databases import sqlite_url
from tests.discord.fake_discord import Channel, FakeDiscord, User
from tests.discord.harness import TOKEN, World, build_runtime, make_world, running
from tests.hostile.checks import Commits, RecordingMetrics, sqlite_path
from tests.hostile.corpus import entries
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import COMMUNITY as SLACK_COMMUNITY
from tests.slack.harness import Answer, SlackDriver, populate, settings_for, sign
from tests.slack.harness import running as slack_running

PEOPLE = len(entries())


def giver(index: int) -> str:
    return f"UHG{index:04d}"


def thanked(index: int) -> str:
    return f"UHR{index:04d}"


@dataclass
class Observed:
    url: str
    store: Store
    metrics: RecordingMetrics
    commits: Commits


@asynccontextmanager
async def _observed(directory: Path, community_id: str) -> AsyncIterator[Observed]:
    """The store, its community already created (a refusal then stores nothing at all)."""
    metrics = RecordingMetrics()
    url = sqlite_url(directory)
    async with open_store(Settings(database_url=url, _env_file=None), metrics=metrics) as store:
        await ensure_community(store.uow, SystemClock(), community_id)
        commits = Commits(sqlite_path(url))
        try:
            yield Observed(url, store, metrics, commits)
        finally:
            commits.close()


@dataclass
class ConsoleWorld:
    observed: Observed
    service: ConnectionsService
    lines: list[str] = field(default_factory=list)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def console_world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ConsoleWorld]:
    async with _observed(tmp_path_factory.mktemp("console"), COMMUNITY_ID) as observed:
        lines: list[str] = []
        service = build_service(observed.store, ConsoleDirectory(), ConsoleNotifier(lines.append))
        yield ConsoleWorld(observed, service, lines)


@dataclass
class SlackHostile:
    observed: Observed
    fake: FakeSlack
    runtime: SlackRuntime
    slack: SlackDriver
    session: aiohttp.ClientSession  # one connection pool for the thousands of requests

    async def post(self, body: str, headers: dict[str, str]) -> Answer:
        url = f"{self.slack.url}/slack/events"
        async with self.session.post(url, data=body.encode(), headers=headers) as response:
            return Answer(response.status, await response.text(), response.content_type)

    async def command(self, body: str) -> Answer:
        timestamp = str(int(time.time()))
        return await self.post(
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": sign(body, timestamp),
            },
        )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def slack_hostile(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SlackHostile]:
    fake = FakeSlack()
    populate(fake)
    for index in range(PEOPLE):
        fake.add_user(giver(index), f"Giver {index}")
        fake.add_user(thanked(index), f"Thanked {index}")
    await fake.start()
    try:
        async with _observed(tmp_path_factory.mktemp("slack"), SLACK_COMMUNITY) as observed:
            settings = settings_for(fake, observed.url)
            async with (
                slack_running(settings, observed.store) as runtime,
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
            ):
                driver = SlackDriver(f"http://127.0.0.1:{runtime.http.port}", fake)
                yield SlackHostile(observed, fake, cast(SlackRuntime, runtime), driver, session)
    finally:
        await fake.stop()


@dataclass
class DiscordHostile:
    observed: Observed
    fake: FakeDiscord
    world: World
    givers: list[User]
    thanked: list[User]
    channels: list[Channel]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def discord_hostile(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[DiscordHostile]:
    # discord.py's addresses are class attributes: put them back afterwards.
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    fake = FakeDiscord(TOKEN)
    world = make_world(fake)
    givers = [User(id=110000000000000000 + i, name=f"Giver {i}") for i in range(PEOPLE)]
    people = [User(id=120000000000000000 + i, name=f"Thanked {i}") for i in range(PEOPLE)]
    world.guild.members.extend(givers + people)
    # A channel per input: what the bot posts there belongs to that input alone.
    channels = [Channel(id=130000000000000000 + i, name=f"hostile-{i}") for i in range(PEOPLE)]
    world.guild.channels.extend(channels)
    await fake.start()
    try:
        async with _observed(tmp_path_factory.mktemp("discord"), world.community_id) as observed:
            runtime = build_runtime(fake, observed.store)
            async with running(runtime):
                yield DiscordHostile(observed, fake, world, givers, people, channels)
    finally:
        await fake.close()
        discord.http.Route.BASE = base  # type: ignore[misc]
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
