from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import discord.gateway
import discord.http
import pytest

from bot.bootstrap import Store, open_store
from bot.settings import Settings
from tests.databases import sqlite_url
from tests.discord.fake_discord import FakeDiscord
from tests.discord.harness import TOKEN, Bot, World, build_runtime, make_world, running


@pytest.fixture(autouse=True)
def _restore_process_globals(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What the adapter (and the command line) set for the whole process is put back after
    each test: discord.py's addresses (class attributes), the log record factory that
    redacts secrets, and the root logger's handlers (so later tests capture logs)."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
    )
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    factory = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(factory)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord(TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    return make_world(fake)


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(Settings(database_url=sqlite_url(tmp_path), _env_file=None)) as opened:
        yield opened


@pytest.fixture
async def bot(fake: FakeDiscord, world: World, sqlite_store: Store) -> AsyncIterator[Bot]:
    runtime = build_runtime(fake, sqlite_store)
    sqlite_store.digests.poster.add(runtime.platform, runtime.poster)  # as `run` does
    async with running(runtime):
        yield Bot(fake=fake, store=sqlite_store, runtime=runtime, world=world)


@pytest.fixture
async def bot_on_each_database(fake: FakeDiscord, world: World, store: Store) -> AsyncIterator[Bot]:
    """The bot on a SQLite file and on a fresh PostgreSQL database (the `store` fixture)."""
    runtime = build_runtime(fake, store)
    store.digests.poster.add(runtime.platform, runtime.poster)
    async with running(runtime):
        yield Bot(fake=fake, store=store, runtime=runtime, world=world)
