"""`smart-connections digest send --community slack:T…` posts through Slack without serving."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import cli
from bot.bootstrap import open_store
from bot.domain import Community
from bot.settings import Settings
from tests.databases import sqlite_url
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.slack.harness import COMMUNITY, SIGNING_SECRET


async def test_digest_send_on_the_command_line(
    fake_slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sqlite_url(tmp_path)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    async with open_store(settings) as store, store.uow() as uow:
        due = datetime.now(UTC) + timedelta(days=3)
        await uow.communities.save(
            Community(id=COMMUNITY, digest_channel="CDIGEST", next_digest_due_at=due)
        )
        await uow.commit()
    for name, value in {
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_BASE_URL": fake_slack.api_url,
        "HOST": "127.0.0.1",
        "PORT": "0",
    }.items():
        monkeypatch.setenv(name, value)
    argv = ["digest", "send", "--community", COMMUNITY]
    assert await asyncio.to_thread(cli.main, argv) == 0
    [post] = [p for p in fake_slack.posted() if p.args.get("channel") == "CDIGEST"]
    assert "blocks" in post.args
    # Sent once: a second send is refused as this week's digest is already out.
    assert await asyncio.to_thread(cli.main, argv) == 1
    assert len([p for p in fake_slack.posted() if p.args.get("channel") == "CDIGEST"]) == 1
