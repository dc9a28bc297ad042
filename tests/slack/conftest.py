from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.databases import sqlite_url
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import SlackWorld, slack_world


@pytest.fixture
async def world(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[SlackWorld]:
    """The Slack app in HTTP mode on a SQLite file."""
    async with slack_world(fake_slack, sqlite_url(tmp_path)) as running:
        yield running


@pytest.fixture
async def world_on_every_database(
    fake_slack: FakeSlack, database_url: str
) -> AsyncIterator[SlackWorld]:
    """The same, once on SQLite and once on PostgreSQL."""
    async with slack_world(fake_slack, database_url) as running:
        yield running
