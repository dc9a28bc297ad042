"""The console: its community's digest printed at the due time while it runs, the admin
commands typed there, and `smart-connections digest preview|send`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console.directory import COMMUNITY_ID
from bot import bootstrap, cli
from bot.bootstrap import open_store
from bot.digest.timing import first_due
from bot.domain import Community
from bot.settings import Settings
from tests.databases import sqlite_url
from tests.digest.support import Seed


async def seed_console(url: str, due: datetime) -> None:
    async with open_store(Settings(database_url=url)) as store:
        await Seed(store.uow, COMMUNITY_ID).community(next_digest_due_at=due)


async def test_the_console_prints_its_digest_at_the_due_time(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    await seed_console(url, datetime.now(UTC) + timedelta(seconds=1))
    out: list[str] = []

    def digests() -> list[str]:
        return [text for text in out if text.startswith("[channel] Weekly digest")]

    async def typing() -> AsyncIterator[str]:
        yield "/kudos @bob for the brilliant release notes #unprompted"
        async with asyncio.timeout(10):
            while not digests():  # noqa: ASYNC110 (waiting for the console's output)
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # more ticks: it is not printed again
        yield "/quit"

    settings = Settings(database_url=url, scheduler_tick_seconds=0.05)
    await bootstrap.run_console(settings, "alice", admin=False, lines=typing(), write=out.append)
    [digest] = digests()
    assert "alice → bob: for the brilliant release notes" in digest
    assert "alice (their first kudos here!) thanked 1 person" in digest


async def test_preview_and_now_typed_in_the_console(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    out: list[str] = []

    async def typing() -> AsyncIterator[str]:
        for line in (
            "/kudos @bob for fixing the build before anyone asked #unprompted",
            "/connections admin digest preview",
            "/connections admin digest now",
            "/connections admin digest now",
            "/as bob",
            "/connections admin digest preview",
        ):
            yield line

    await bootstrap.run_console(
        Settings(database_url=url), "alice", admin=True, lines=typing(), write=out.append
    )
    preview, posted, reply, again, _switch, refused = out[-6:]
    assert preview.startswith("Preview of this week's digest (only you can see this):")
    assert "alice → bob: for fixing the build before anyone asked" in preview
    assert posted.startswith("[channel] Weekly digest")
    assert "alice → bob: for fixing the build before anyone asked" in posted
    assert reply.startswith("Posted the digest. It counts as this week's digest")
    assert again.startswith("Sorry: This week's digest was already posted")
    assert "only admins" in refused


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = sqlite_url(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.chdir(tmp_path)
    return url


def test_cli_preview_and_send(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(UTC)
    asyncio.run(seed_console(database, first_due(Community(COMMUNITY_ID), now)))
    assert cli.main(["digest", "preview", "--community", "console:local"]) == 0
    preview = capsys.readouterr().out
    assert preview.startswith("Weekly digest · ") and "A quiet week" in preview

    assert cli.main(["digest", "send", "--community", "console:local"]) == 0
    sent = capsys.readouterr().out
    assert sent.startswith("[channel] Weekly digest · ")
    assert "Posted the digest. It counts as this week's digest" in sent

    assert cli.main(["digest", "send", "--community", "console:local"]) == 1
    again = capsys.readouterr()
    assert "already posted" in again.err and again.out == ""


def test_cli_unknown_community_and_platform_without_token(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(seed_console(database, datetime.now(UTC) + timedelta(days=1)))
    assert cli.main(["digest", "preview", "--community", "discord:1234"]) == 1
    assert "no community discord:1234" in capsys.readouterr().err

    async def add_slack() -> None:
        async with open_store(Settings(database_url=database)) as store:
            await Seed(store.uow, "slack:T012AB").community()

    asyncio.run(add_slack())
    assert cli.main(["digest", "send", "--community", "slack:T012AB"]) == 1
    assert "needs its token" in capsys.readouterr().err


@pytest.mark.parametrize(
    "community_id",
    ["", "   ", "local", "console:", "telegram:123", "con\u200bsole:local", "slack:" + "T" * 200],
)
def test_cli_refuses_what_is_not_a_community_id(
    database: str, community_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["digest", "send", "--community", community_id])
    assert exit_info.value.code == 2
    assert "is not a community id" in capsys.readouterr().err
