"""Two scheduler processes, started by the test, ticking together over many due
communities in one database: every digest is posted exactly once."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.bootstrap import open_store
from bot.digest.timing import week_start_of
from bot.domain import Community
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
OVERDUE = 30  # missed while "down", within the grace: due at once
UPCOMING = 120  # falling due one after another while both processes tick


async def start(database_url: str, out: Path, worker: str) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.digest.scheduler_process",
        database_url,
        str(out),
        worker,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
    if line.strip() != b"ready":
        assert process.stderr is not None
        pytest.fail(f"{worker} did not start: {line!r} {await process.stderr.read()!r}")
    return process


async def tell(process: asyncio.subprocess.Process, line: str) -> None:
    assert process.stdin is not None
    process.stdin.write(line.encode() + b"\n")
    await process.stdin.drain()


def posted_lines(out: Path) -> list[str]:
    return out.read_text().splitlines() if out.exists() else []


@pytest.mark.timeout(120)
async def test_two_processes_post_every_digest_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "posts.txt"
    async with open_store(Settings(database_url=database_url)) as store:
        processes = [await start(database_url, out, f"process-{i}") for i in (1, 2)]
        try:
            now = datetime.now(UTC)
            async with store.uow() as uow:
                for i in range(OVERDUE):
                    due = now - timedelta(minutes=i + 1)
                    await uow.communities.save(
                        Community(f"console:late{i}", next_digest_due_at=due)
                    )
                for i in range(UPCOMING):
                    due = now + timedelta(seconds=0.5 + i * 0.01)
                    await uow.communities.save(Community(f"console:c{i}", next_digest_due_at=due))
                await uow.commit()
            for process in processes:
                await tell(process, "go")
            async with asyncio.timeout(60):
                while len(posted_lines(out)) < OVERDUE + UPCOMING:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)  # a few more ticks each: a double would show now
        finally:
            for process in processes:
                await tell(process, "stop")
            for process in processes:
                _stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
                assert process.returncode == 0, stderr.decode()

        lines = posted_lines(out)
        per_community = Counter(line.split()[0] for line in lines)
        expected = {f"console:late{i}" for i in range(OVERDUE)}
        expected |= {f"console:c{i}" for i in range(UPCOMING)}
        assert set(per_community) == expected
        assert [c for c, n in per_community.items() if n != 1] == []
        workers = Counter(line.split()[2] for line in lines)
        assert set(workers) == {"process-1", "process-2"}, workers  # both really took part

        async with store.uow() as uow:
            for line in lines:
                community_id, due_text, worker = line.split()
                community = await uow.communities.get(community_id)
                assert community is not None and community.next_digest_due_at is not None
                assert now < community.next_digest_due_at < now + timedelta(days=8)
                due = datetime.fromisoformat(due_text)
                stored = await uow.digests.get(community_id, week_start_of(due, community))
                assert stored is not None
                assert (stored.status, stored.claimed_by) == ("posted", worker)
