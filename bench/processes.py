"""The app under test in a process of its own: starting it as `smart-connections run` starts
it, and reading its CPU time and memory from /proc."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
_TICK = os.sysconf("SC_CLK_TCK")
# Settings a developer's shell may carry that would change what runs.
_CLEARED = (
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "DISCORD_TOKEN",
    "DATABASE_URL",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def memory_kib(pid: int) -> tuple[int, int]:
    """(resident now, peak resident) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


@dataclass
class App:
    process: asyncio.subprocess.Process
    base_url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)


def run_environment(database_url: str, port: int, extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(
        {
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return env


@asynccontextmanager
async def bot_run(database_url: str, extra_env: Mapping[str, str], log: Path) -> AsyncIterator[App]:
    """`python -m bot run` (what `smart-connections run` does), ready to serve."""
    port = free_port()
    env = run_environment(database_url, port, extra_env)
    # BENCH_PROFILE_DIR=dir: the app runs under cProfile, its stats saved there on exit.
    profile = os.environ.get("BENCH_PROFILE_DIR")
    profiling = ["-m", "cProfile", "-o", f"{profile}/app-{port}.prof"] if profile else []
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *profiling, "-m", "bot", "run", env=env, stdout=out, stderr=out
        )
    app = App(process, f"http://127.0.0.1:{port}", log)
    try:
        await _wait_ready(app)
        yield app
    finally:
        await stop(process)


@asynccontextmanager
async def child(argv: list[str], log: Path) -> AsyncIterator[App]:
    """A bench module's own child (`python -m bench.x --serve ...`) that prints `PORT n`."""
    with log.open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(START_TIMEOUT):
            line = (await process.stdout.readline()).decode()
        if not line.startswith("PORT "):
            raise RuntimeError(f"{argv} did not start: {line!r}; see {log}")
        yield App(process, f"http://127.0.0.1:{int(line.split()[1])}", log)
    finally:
        await stop(process)


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        async with asyncio.timeout(STOP_TIMEOUT):
            await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()


async def _wait_ready(app: App) -> None:
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while True:
            if app.process.returncode is not None:
                raise RuntimeError(f"the app exited: {app.log.read_text()[-3000:]}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"{app.base_url}/readyz") as response:
                    if response.status == 200:
                        return
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"the app never became ready: {app.log.read_text()[-3000:]}")
            await asyncio.sleep(0.2)


@asynccontextmanager
async def database(backend: str, directory: Path) -> AsyncIterator[str | None]:
    """A fresh database URL: a SQLite file, or a new PostgreSQL database (None when no
    PostgreSQL server answers: that part of the bench is skipped)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / f'bench-{uuid.uuid4().hex[:6]}.db'}"
        return
    import asyncpg

    try:
        admin = await asyncpg.connect(PG_ADMIN, timeout=5)
    except (OSError, asyncpg.PostgresError):
        yield None
        return
    name = f"sc_bench_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
