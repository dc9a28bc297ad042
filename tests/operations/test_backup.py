"""`smart-connections export` then `import` into an empty database reproduces every row."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from adapters.console.directory import ConsoleDirectory
from bot import commands as c
from bot.bootstrap import open_store
from bot.handlers.context import Ports
from bot.service import ConnectionsService
from bot.settings import Settings
from storage.backup import community_tables
from tests.databases import sqlite_url, temporary_postgres
from tests.harness import Harness, NullNotifier

COMMUNITY = "slack:T0BACKUP"


async def all_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    async with open_store(Settings(database_url=url)) as store, store.engine.connect() as conn:
        result = {}
        for table, _scope in community_tables():
            rows = await conn.execute(select(table).order_by(*table.primary_key.columns))
            result[table.name] = [tuple(r) for r in rows]
        return result


async def fill(harness: Harness) -> None:
    admin = harness.actor("U_ADMIN", community=COMMUNITY, admin=True)
    alice = harness.actor("U_ALICE", community=COMMUNITY)
    other = harness.actor("U_ALICE", community="discord:999")
    service = harness.service
    await service.handle(admin, c.SetDigestSchedule(weekday=4, time="16:45", timezone="Asia/Tokyo"))
    await service.handle(admin, c.AddPrompt(text="Pair with someone you have never worked with"))
    await service.handle(
        alice,
        c.GiveKudos(
            recipient_ids=("U_BOB", "U_CAROL"),
            reason="for the “naïve” fix — très bien 🎉",
            tags=("#teamwork",),
            delivery_id="Ev1",
        ),
    )
    harness.clock.current += timedelta(hours=3)
    await service.handle(alice, c.CreateOffer(text="I can review Terraform"))
    await service.handle(alice, c.OptOut())
    await service.handle(other, c.CreateOffer(text="another community's offer"))


def cli(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


async def test_export_then_import_reproduces_every_row(
    harness: Harness, database_url: str, tmp_path: Path
) -> None:
    await fill(harness)
    exported = cli(database_url, "export", "--community", COMMUNITY)
    assert exported.returncode == 0, exported.stderr
    backup = json.loads(exported.stdout)
    assert "another community" not in exported.stdout

    async with temporary_postgres() as target_pg:
        for target in (sqlite_url(tmp_path / "restored"), target_pg):
            (tmp_path / "restored").mkdir(exist_ok=True)
            restored = cli(target, "import", stdin=exported.stdout)
            assert restored.returncode == 0, restored.stderr
            assert "2 kudos_recipients" in restored.stdout
            source_rows = await all_rows(database_url)
            target_rows = await all_rows(target)
            for table, rows in source_rows.items():
                mine = [r for r in rows if COMMUNITY in r]
                assert target_rows[table] == mine, table
            again = cli(target, "export", "--community", COMMUNITY)
            assert json.loads(again.stdout) == backup
            # Restored ids continue: the next offer does not collide with a restored one.
            async with open_store(Settings(database_url=target)) as store:
                service = ConnectionsService(
                    Ports(
                        uow=store.uow,
                        directory=ConsoleDirectory(),
                        notifier=NullNotifier(),
                        clock=harness.clock,
                    )
                )
                bob = harness.actor("U_BOB", community=COMMUNITY)
                reply = await service.handle(bob, c.CreateOffer(text="I can explain our CI"))
                assert reply.ok and "Offer #2 " in reply.text, reply.text
            twice = cli(target, "import", stdin=exported.stdout)
            assert twice.returncode == 1 and "already exists" in twice.stderr


def test_bad_backups_are_refused_in_plain_words(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    for bad in ("", "not json", "[]", '{"format": "other"}'):
        result = cli(url, "import", stdin=bad)
        assert result.returncode == 1
        assert result.stderr.startswith("Nothing imported:"), result.stderr
        assert "Traceback" not in result.stderr
    missing = cli(url, "export", "--community", "slack:TNOPE")
    assert missing.returncode == 1 and "no community" in missing.stderr
