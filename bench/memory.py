"""Memory: `python -m bot run` with every adapter loaded (Slack over HTTP, Discord over its
gateway, the digest scheduler, the HTTP server with health and metrics) on a SQLite file,
idle and then under a load of 50,000 kudos.

The fake Slack Web API and the fake Discord run in this process, the app in its own. The app
starts twice, as after a deploy: first on an empty database, which it migrates (its idle RSS
is shown for information: Alembic is then loaded), then again on the migrated database, as
every later start and every other replica finds it. That second start is the one measured
against the targets: idle RSS once the app is ready and Discord connected, after a few quiet
seconds; peak RSS is the kernel's high-water mark (VmHWM) after the load, sent as signed
/kudos from 16 clients. Targets: idle ≤ 100 MiB, peak ≤ 1.5 × idle. Exits non-zero when a
kudos of the load is lost or doubled.

    python -m bench.memory [--kudos 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import slack_commands as slack
from bench.discord_interactions import wait_connected, world
from bench.fake_slack_api import BOT_TOKEN
from bench.processes import bot_run, database, memory_kib
from bench.table import Figure, at_most, at_most_ratio, exit_code
from tests.discord.fake_discord import FakeDiscord
from tests.discord.harness import TOKEN as DISCORD_TOKEN

KUDOS = 50_000
SETTLE_SECONDS = 3.0
IDLE_TARGET_MIB = 100.0
PEAK_TARGET_RATIO = 1.5


@dataclass
class Outcome:
    first_idle_mib: float
    idle_mib: float
    peak_mib: float
    kudos: int
    seconds: float
    figures: list[Figure]
    problems: list[str]


async def measure(count: int) -> Outcome:
    fake_slack = slack.lean_fake()
    await fake_slack.start()
    fake_discord = FakeDiscord(DISCORD_TOKEN)
    await fake_discord.start()
    world(fake_discord)
    problems: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
            directory = Path(tmp)
            async with database("sqlite", directory) as url:
                assert url is not None
                env = {
                    "SLACK_BOT_TOKEN": BOT_TOKEN,
                    "SLACK_SIGNING_SECRET": slack.SIGNING_SECRET,
                    "SLACK_API_BASE_URL": fake_slack.api_url,
                    "DISCORD_TOKEN": DISCORD_TOKEN,
                    "DISCORD_API_BASE_URL": fake_discord.api_url,
                    "DISCORD_GATEWAY_URL": fake_discord.gateway_url,
                }
                async with bot_run(url, env, directory / "first.log") as app:
                    await wait_connected(fake_discord, 0)
                    await asyncio.sleep(SETTLE_SECONDS)
                    first_idle, _ = memory_kib(app.pid)
                async with bot_run(url, env, directory / "app.log") as app:
                    await wait_connected(fake_discord, 1)
                    await asyncio.sleep(SETTLE_SECONDS)
                    idle, _ = memory_kib(app.pid)
                    driver = slack.Driver(app, slack.Load(fake_slack.url))
                    for limit in slack.LIMITS:
                        answer = await driver.command("/connections", f"admin limit {limit} 0")
                        if "off" not in answer:
                            problems.append(f"could not lift the {limit} limit: {answer}")
                    pairs = [driver.next_pair() for _ in range(count)]
                    level = await driver.run(16, None, "real", "sqlite", pairs=pairs)
                    try:
                        await slack.drain(fake_slack, 2 * (len(level.recorded) + level.late))
                    except TimeoutError:
                        problems.append("posts still missing after the drain")
                    _, peak = memory_kib(app.pid)
                problems += [f"load: {f}" for f in level.failures[:3]]
                stored, distinct = await slack.stored_kudos(url)
                expected = len(level.recorded) + level.late
                if stored != expected or distinct != stored:
                    problems.append(
                        f"LOST OR DOUBLED: {stored} kudos stored ({distinct} delivery ids), "
                        f"{expected} acks said recorded"
                    )
    finally:
        await fake_slack.stop()
        await fake_discord.close()
    idle_mib, peak_mib = idle / 1024, peak / 1024
    figures = [
        Figure("memory", "idle RSS, first start (migrates)", first_idle / 1024, "MiB"),
        Figure(
            "memory",
            "idle RSS, every adapter loaded (restart)",
            idle_mib,
            "MiB",
            target=f"<= {IDLE_TARGET_MIB:g} MiB",
            check=at_most(IDLE_TARGET_MIB),
        ),
        Figure(
            "memory",
            f"peak RSS, {count:,} kudos load",
            peak_mib,
            "MiB",
            idle_mib,
            "idle",
            f"<= {PEAK_TARGET_RATIO:g} x idle",
            at_most_ratio(PEAK_TARGET_RATIO),
        ),
    ]
    return Outcome(first_idle / 1024, idle_mib, peak_mib, count, level.seconds, figures, problems)


def print_details(outcome: Outcome) -> None:
    print(
        "memory of `python -m bot run` with Slack, Discord, the scheduler and the HTTP server "
        "(SQLite); the fakes and the load in this process"
    )
    print(
        f"  idle {outcome.idle_mib:.1f} MiB (first start, migrating the database: "
        f"{outcome.first_idle_mib:.1f} MiB); peak {outcome.peak_mib:.1f} MiB after "
        f"{outcome.kudos:,} kudos in {outcome.seconds:.0f} s "
        f"({outcome.peak_mib / outcome.idle_mib:.2f} x idle)"
    )


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--kudos", type=int, default=KUDOS)
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> Outcome:
    return await measure(args.kudos)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    outcome = asyncio.run(run(args))
    print_details(outcome)
    return exit_code(outcome.problems)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
