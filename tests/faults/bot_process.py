"""`smart-connections run` as a real process, talking to the fake Slack and fake Discord that
the test runs on loopback: for what only a process shows (signals, kills, its logs, its
memory). Its stderr is collected line by line while it runs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.discord.fake_discord import FakeDiscord
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.slack.harness import SIGNING_SECRET

START_SECONDS = 30.0
# Settings a test may not inherit from the shell that runs it.
_OURS = ("SLACK_", "DISCORD_", "DATABASE_URL", "LOG_LEVEL", "HOST", "PORT", "SCHEDULER_")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_environment(
    database_url: str,
    fake_slack: FakeSlack | None,
    fake_discord: FakeDiscord | None,
    port: int,
    **extra: str,
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    env |= {
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
        "SCHEDULER_TICK_SECONDS": "0.5",
        "PYTHONUNBUFFERED": "1",
    }
    if fake_slack is not None:
        env |= {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_BASE_URL": fake_slack.api_url,
        }
    if fake_discord is not None:
        env |= {
            "DISCORD_TOKEN": fake_discord.token,
            "DISCORD_API_BASE_URL": f"http://127.0.0.1:{fake_discord.port}",
            "DISCORD_GATEWAY_URL": fake_discord.gateway_url,
        }
    return env | extra


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    port: int
    stderr: list[str] = field(default_factory=list)
    _reader: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        return "\n".join(self.stderr)

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.stderr.append(line.decode(errors="replace").rstrip("\n"))

    async def healthy(self) -> bool:
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session,
                session.get(f"{self.url}/healthz") as response,
            ):
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def wait_healthy(self, within: float = START_SECONDS) -> None:
        deadline = time.monotonic() + within
        while not await self.healthy():
            if self.process.returncode is not None:
                raise AssertionError(f"the bot exited ({self.process.returncode}):\n{self.log}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not become healthy:\n{self.log[-3000:]}")
            await asyncio.sleep(0.1)

    def alive(self) -> bool:
        return self.process.returncode is None

    async def stop(self, sig: int = signal.SIGTERM, within: float = 15.0) -> tuple[int, float]:
        """Send `sig`; (exit code, seconds until it exited)."""
        started = time.monotonic()
        if self.alive():
            self.process.send_signal(sig)
        async with asyncio.timeout(within):
            code = await self.process.wait()
            if self._reader is not None:
                await self._reader
        return code, time.monotonic() - started


RUN = ("-m", "bot", "run")
ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def bot_process(
    env: dict[str, str], cwd: Path, command: tuple[str, ...] = RUN
) -> AsyncIterator[BotProcess]:
    """The bot running (healthy) until the block ends; then killed if still running.
    `command`: python's arguments (a test's own entry point must be importable from cwd)."""
    if command != RUN:
        env = {**env, "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        cwd=cwd,  # no .env of the developer's is read
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    bot = BotProcess(process, int(env["PORT"]))
    bot._reader = asyncio.create_task(bot._read())
    try:
        await bot.wait_healthy()
        yield bot
    finally:
        if bot.alive():
            process.kill()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await process.wait()
                await bot._reader


async def discord_connected(fake: FakeDiscord, within: float = START_SECONDS) -> None:
    """The bot has identified on the fake gateway and received its guilds."""
    await fake.wait_until(
        lambda: (
            fake.identify_count >= 1
            and any(event == "GUILD_CREATE" for _, event in fake.gateway_events)
        ),
        within=within,
    )
