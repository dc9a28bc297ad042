from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.console.directory import ConsoleDirectory
from bot.bootstrap import Store, open_store
from bot.handlers.context import Ports
from bot.service import ConnectionsService
from bot.settings import Settings
from tests.databases import sqlite_url, temporary_postgres
from tests.harness import Harness, NullNotifier, SettableClock
from tests.network_guard import loopback_only
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import populate

# Bolt turns on OAuth by itself when these are set; no test means that unless it says so.
for _name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_BOT_TOKEN", "DISCORD_TOKEN"):
    os.environ.pop(_name, None)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with loopback_only(monkeypatch):
        yield


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Each test using this runs twice: on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    async with temporary_postgres() as url:
        yield url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    async with open_store(Settings(database_url=database_url)) as opened:
        yield opened


@pytest.fixture
def harness(store: Store) -> Harness:
    """The core over the real store, with console members and a clock the test moves."""
    clock = SettableClock(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    ports = Ports(uow=store.uow, directory=ConsoleDirectory(), notifier=NullNotifier(), clock=clock)
    return Harness(store=store, service=ConnectionsService(ports), clock=clock)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """The fake Slack on loopback, with the harness's members in it."""
    fake = FakeSlack()
    populate(fake)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
