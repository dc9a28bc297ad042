"""Migrate on start, as a real `smart-connections run` does it: a database already at the
newest revision costs the process no Alembic at all (its ~8 MiB stay out of every replica),
and an older database is still upgraded before the bot serves."""

from __future__ import annotations

import signal
from pathlib import Path

import aiohttp
from sqlalchemy import text

from storage.engine import create_engine
from storage.migrate import (
    VERSIONS,
    alembic_head_revision,
    current_revision,
    head_from_files,
    head_revision,
    upgrade,
)
from tests.databases import community_at_0002, migrate_to
from tests.faults.bot_process import bot_environment, bot_process, free_port
from tests.slack.fake_slack import FakeSlack
from tests.storage.startup_process import MARKER

ENTRY = ("-m", "tests.storage.startup_process")


async def start_and_stop(database_url: str, slack: FakeSlack, directory: Path) -> str:
    """Run the bot until it is ready, stop it; the migration modules it had loaded."""
    env = bot_environment(database_url, slack, None, free_port())
    async with bot_process(env, directory, ENTRY) as bot:
        async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/readyz") as r:
            assert r.status == 200, await r.text()
        code, _ = await bot.stop(signal.SIGTERM)
    assert code == 0, bot.log[-2000:]
    [loaded] = [line.split(MARKER, 1)[1].strip() for line in bot.stderr if MARKER in line]
    return loaded


async def test_a_start_on_a_current_schema_never_imports_alembic(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)  # the deploy's first replica did this
    finally:
        await engine.dispose()

    assert await start_and_stop(database_url, fake_slack, tmp_path) == "none"


async def test_a_start_on_an_old_schema_upgrades_it_keeping_the_data(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    engine = create_engine(database_url)
    try:
        await migrate_to(engine, "0002", community_at_0002("slack:TOLD"))

        loaded = await start_and_stop(database_url, fake_slack, tmp_path)

        assert "alembic" in loaded  # it had work to do, and did it
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as connection:
            limit = await connection.scalar(
                text("SELECT burst_kudos_limit FROM communities WHERE id = 'slack:TOLD'")
            )
        assert limit == 5  # 0003's default for communities that existed before it
    finally:
        await engine.dispose()


async def test_a_fresh_database_reads_as_no_revision_until_migrated(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert await current_revision(engine) is None
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


def test_the_head_read_from_the_files_is_alembics() -> None:
    assert head_from_files(VERSIONS) == alembic_head_revision()
    assert head_revision() == alembic_head_revision()


def _migration(directory: Path, revision: str, down: str | None) -> None:
    revises = "None" if down is None else f'"{down}"'
    (directory / f"{revision}_step.py").write_text(
        f'"""step\n\nRevision ID: {revision}\n"""\n\n'
        f'revision: str = "{revision}"\ndown_revision: str | None = {revises}\n'
    )


def test_files_that_do_not_make_one_line_leave_the_head_to_alembic(tmp_path: Path) -> None:
    _migration(tmp_path, "a1", None)
    _migration(tmp_path, "b2", "a1")
    assert head_from_files(tmp_path) == "b2"
    _migration(tmp_path, "c3", "a1")  # a branch: two heads
    assert head_from_files(tmp_path) is None
    (tmp_path / "c3_step.py").write_text('revision = "c3"\ndown_revision = ("a1", "b2")\n')
    assert head_from_files(tmp_path) is None  # a merge, in a form not read here
