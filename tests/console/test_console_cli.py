"""The console as a newcomer uses it: the installed command, piped input, a real SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.databases import sqlite_url

SCRIPT = (
    "/kudos @bob for reviewing my migration so carefully #teamwork\n"
    "/offer I can pair on SQL tuning\n"
    "/offer list sql\n"
    "/connections me\n"
)


def console(tmp_path: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": sqlite_url(tmp_path), "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "bot", "console", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def test_scripted_session_prints_every_answer_and_persists(tmp_path: Path) -> None:
    first = console(tmp_path, SCRIPT, "--as", "alice")
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "Your thanks to bob is recorded" in out
    assert "alice thanked @bob: for reviewing my migration so carefully #teamwork" in out
    assert "Offer #1 is open for 30 days" in out
    assert "#1 alice: I can pair on SQL tuning" in out
    assert "Thanks given: 1" in out and "Open offers: 1" in out
    assert first.stderr == ""

    second = console(tmp_path, "/connections me\n/offer list\n", "--as", "alice")
    assert "to bob: for reviewing my migration so carefully" in second.stdout
    assert "#1 alice: I can pair on SQL tuning" in second.stdout


def test_switching_member_and_admin_rights(tmp_path: Path) -> None:
    script = (
        "/connections admin limit daily 3\n"
        "/as bob\n"
        "/connections admin limit daily 3\n"
        "/kudos @bot for being such a helpful robot friend\n"
        "/kudos @everyone thanks for the great release party\n"
        "/kudos @Alice for lending me her laptop charger\n"
        "/frobnicate\n"
    )
    result = console(tmp_path, script, "--as", "alice", "--admin")
    lines = result.stdout.splitlines()
    assert "Each member can now give up to 3 kudos a day." in lines[0]
    assert lines[1] == "You are now bob."
    assert "only admins" in lines[2]
    assert "bot is a bot" in result.stdout
    assert "couldn't find one of the people" in result.stdout
    assert "Your thanks to alice is recorded" in result.stdout
    assert "I only understand /kudos" in result.stdout


def test_run_without_tokens_starts_the_console(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SLACK_BOT_TOKEN", "DISCORD_TOKEN")}
    env.update(DATABASE_URL=sqlite_url(tmp_path), LOG_LEVEL="WARNING")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        input="/offer I can explain our deploy pipeline\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Offer #1 is open" in result.stdout


def test_db_upgrade_and_current(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": sqlite_url(tmp_path), "LOG_LEVEL": "WARNING"}
    run = [sys.executable, "-m", "bot", "db"]
    before = subprocess.run([*run, "current"], capture_output=True, text=True, env=env, check=True)
    assert "none" in before.stdout
    subprocess.run([*run, "upgrade"], capture_output=True, text=True, env=env, check=True)
    after = subprocess.run([*run, "current"], capture_output=True, text=True, env=env, check=True)
    assert "up to date" in after.stdout
