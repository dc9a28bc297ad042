"""The Discord interaction path: `/kudos` through the fake Discord gateway, the real bot
against a bot whose command only responds.

The fake Discord (REST and gateway, tests/discord/fake_discord.py) and the load run in this
process; each bot runs alone in a process of its own, connected to the fake over loopback:

- "respond-only": a discord.py client whose /kudos (same options) answers "ok" at once;
- "real": `python -m bot run` exactly as deployed (Prometheus metrics, the digest scheduler,
  a SQLite file): defer, core rules and durable write, the private answer, the public
  thank-you and the DM.

For each number of interactions in flight it reports p50/p99 latency to the interaction's
acknowledgement (its callback: what Discord's 3-second limit is about), interactions fully
answered a second (respond-only: the answer; real: the private answer after the deferral),
the bot's CPU time an interaction, and the real bot's ratio to the respond-only one. The
admin first lifts the kudos limits with /connections-admin, so they measure nothing.

    python -m bench.discord_interactions [--count 600] [--concurrency 1,16]

Exits non-zero when a kudos is lost or doubled: stored kudos differ from the interactions
sent, or a kudos has not exactly one public thank-you and one DM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from bench.processes import App, bot_run, child, database
from bench.table import Figure, at_least_ratio, exit_code
from tests.discord import payloads as p
from tests.discord.fake_discord import (
    ADMIN_PERMISSIONS,
    Channel,
    FakeDiscord,
    Guild,
    Request,
    User,
)
from tests.discord.harness import TOKEN

MEMBERS = 400
TIMEOUT = 30.0
TARGET_SHARE = 0.60
TARGET_IN_FLIGHT = 16
GUILD_ID = 200000000000000001
GENERAL_ID = 300000000000000001
_REF = re.compile(r"\(ref (\d+)\)")


# --- the respond-only bot (a child process) --------------------------------------------------


def _serve(api_url: str, gateway_url: str) -> int:
    from adapters.discord.client import minimal_intents
    from adapters.discord.endpoints import point_at

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    point_at(api_url, gateway_url)
    client = discord.Client(intents=minimal_intents(), guild_ready_timeout=0.1)
    tree = app_commands.CommandTree(client)

    @tree.command(name="kudos", description="Thank someone")
    async def kudos(
        interaction: discord.Interaction,
        member: discord.Member | discord.User,
        reason: str,
        member2: discord.Member | discord.User | None = None,
        member3: discord.Member | discord.User | None = None,
        values: str | None = None,
        unprompted: bool = False,
    ) -> None:
        await interaction.response.send_message("ok", ephemeral=True)

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        async with client:
            starting = asyncio.create_task(client.start(TOKEN))
            await client.wait_until_ready()
            print("PORT 0", flush=True)
            await starting

    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(main())
    return 0


# --- the load ---------------------------------------------------------------------------------


@dataclass
class Figures:
    kind: str
    in_flight: int
    count: int
    seconds: float
    acks: list[float]
    cpu_seconds: float

    @property
    def answered_per_second(self) -> float:
        return self.count / self.seconds

    def ack_ms(self, share: float) -> float:
        ordered = sorted(self.acks)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    @property
    def cpu_per_interaction_us(self) -> float:
        return self.cpu_seconds / self.count * 1e6


class Driver:
    """Sends /kudos interactions and times their callback and their (private) answer."""

    def __init__(self, fake: FakeDiscord, guild: Guild, members: list[User], final: str) -> None:
        self.fake = fake
        self.guild = guild
        self.members = members
        self.final = final  # "callback" (respond-only) or "followup" (real, deferred)
        self.sent: list[tuple[int, User]] = []  # (ref, recipient) of every kudos sent
        self._waiting: dict[tuple[str, str], asyncio.Future[float]] = {}
        fake.listeners.append(self._on_request)

    def _on_request(self, request: Request) -> None:
        parts = request.path.strip("/").split("/")
        if parts[0] == "interactions" and parts[-1] == "callback":
            self._resolve(("callback", parts[2]))
        elif parts[0] == "webhooks" and request.method == "POST":
            self._resolve(("followup", parts[2]))

    def _resolve(self, key: tuple[str, str]) -> None:
        future = self._waiting.pop(key, None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())

    def _kudos(self, n: int) -> dict[str, Any]:
        giver = self.members[n % len(self.members)]
        recipient = self.members[(n * 7 + 1) % len(self.members)]
        if recipient is giver:
            recipient = self.members[(n + 1) % len(self.members)]
        data = p.slash(
            "kudos",
            p.member("member", recipient),
            p.text("reason", f"for the careful review of the parser (ref {n})"),
            resolved_data=p.resolved(members=[recipient]),
        )
        self.sent.append((n, recipient))
        return self.fake.interaction(self.guild, giver, data)

    async def interact(self, payload: dict[str, Any], final: str) -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        acked = self._waiting[("callback", payload["token"])] = loop.create_future()
        done = acked
        if final == "followup":
            done = self._waiting[("followup", payload["token"])] = loop.create_future()
        started = time.perf_counter()
        await self.fake.send_interaction(payload)
        ack_at = await asyncio.wait_for(acked, TIMEOUT)
        done_at = await asyncio.wait_for(done, TIMEOUT)
        return ack_at - started, done_at - started

    async def run(self, app: App, count: int, in_flight: int, first: int) -> Figures:
        queue = iter(range(first, first + count))
        acks: list[float] = []

        async def worker() -> None:
            for n in queue:
                ack, _ = await self.interact(self._kudos(n), self.final)
                acks.append(ack)

        cpu = app.cpu()
        gc.collect()
        gc.disable()  # a full collection of this process's heap would show as latency
        try:
            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(in_flight)))
            elapsed = time.perf_counter() - started
        finally:
            gc.enable()
        return Figures(self.final, in_flight, count, elapsed, acks, app.cpu() - cpu)


# --- the world --------------------------------------------------------------------------------


def world(fake: FakeDiscord) -> tuple[Guild, list[User], User]:
    members = [User(id=100000000000000001 + i, name=f"Member {i}") for i in range(MEMBERS)]
    admin = User(id=100000000000009999, name="Ada Admin", permissions=ADMIN_PERMISSIONS)
    general = Channel(id=GENERAL_ID, name="general")
    guild = fake.add_guild(
        Guild(id=GUILD_ID, name="Bench", members=[admin, *members], channels=[general])
    )
    return guild, members, admin


async def lift_limits(driver: Driver, admin: User) -> list[str]:
    """/connections-admin limit daily 0 and burst 0, as an admin would; retried until the
    bot is connected (its first answer is also the sign that it is ready)."""
    problems = []
    deadline = time.perf_counter() + TIMEOUT
    for kind in ("daily", "burst"):
        data = p.slash(
            "connections-admin", p.group("limit", p.subcommand(kind, p.number("value", 0)))
        )
        while True:
            payload = driver.fake.interaction(driver.guild, admin, data)
            try:
                await driver.interact(payload, "followup")
                break
            except TimeoutError:
                if time.perf_counter() > deadline:
                    problems.append(f"the bot never answered /connections-admin limit {kind}")
                    break
        answers = [r.json for r in driver.fake.answers_to(payload)]
        if "off" not in json.dumps(answers):
            problems.append(f"could not lift the {kind} limit: {answers}")
    return problems


async def wait_connected(fake: FakeDiscord, identified: int) -> None:
    async with asyncio.timeout(TIMEOUT):
        while fake.identify_count <= identified:  # noqa: ASYNC110 (polling the fake)
            await asyncio.sleep(0.05)


def post_problems(fake: FakeDiscord, sent: list[tuple[int, User]]) -> list[str]:
    """Each kudos has exactly one public thank-you in #general and one DM."""
    public: Counter[int] = Counter()
    private: Counter[int] = Counter()
    for request in fake.requests:
        parts = request.path.strip("/").split("/")
        if request.method != "POST" or parts[0] != "channels" or parts[2:] != ["messages"]:
            continue
        refs = [int(r) for r in _REF.findall(json.dumps(request.json))]
        (public if int(parts[1]) == GENERAL_ID else private).update(refs)
    refs = [ref for ref, _ in sent]
    problems = []
    for name, seen in (("public thank-you", public), ("DM", private)):
        wrong = [ref for ref in refs if seen[ref] != 1]
        if wrong:
            problems.append(f"{len(wrong)} kudos without exactly one {name} (e.g. ref {wrong[0]})")
    return problems


async def drain(fake: FakeDiscord, sent: int) -> float:
    """Seconds until every kudos sent has its public thank-you and its DM."""
    started = time.perf_counter()

    def posted() -> int:
        return sum(
            1
            for r in fake.requests
            if r.method == "POST" and r.path.startswith("/channels/") and "(ref " in str(r.json)
        )

    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(TIMEOUT):
            while posted() < 2 * sent:  # noqa: ASYNC110 (polling the fake)
                await asyncio.sleep(0.05)
    return time.perf_counter() - started


async def stored_kudos(url: str) -> int:
    from sqlalchemy import func, select

    from storage import tables as t
    from storage.engine import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(t.kudos)) or 0)
    finally:
        await engine.dispose()


@dataclass
class Outcome:
    results: dict[str, dict[int, Figures]]
    drain_seconds: float
    figures: list[Figure]
    problems: list[str]


async def measure(count: int, levels: list[int]) -> Outcome:
    fake = FakeDiscord(TOKEN)
    await fake.start()
    guild, members, admin = world(fake)
    results: dict[str, dict[int, Figures]] = {"respond-only": {}, "real": {}}
    problems: list[str] = []
    drained = 0.0
    try:
        with tempfile.TemporaryDirectory(prefix="bench-discord-") as tmp:
            directory = Path(tmp)
            argv = ["-m", "bench.discord_interactions", "--serve"]
            argv += ["--api-url", fake.api_url, "--gateway-url", fake.gateway_url]
            async with child(argv, directory / "respond-only.log") as app:
                driver = Driver(fake, guild, members, final="callback")
                await driver.run(app, 50, 4, first=0)  # warm up
                for level in levels:
                    results["respond-only"][level] = await driver.run(app, count, level, first=0)
            fake.listeners.clear()
            fake.requests.clear()
            async with database("sqlite", directory) as url:
                assert url is not None
                env = {
                    "DISCORD_TOKEN": TOKEN,
                    "DISCORD_API_BASE_URL": fake.api_url,
                    "DISCORD_GATEWAY_URL": fake.gateway_url,
                }
                identified = fake.identify_count
                async with bot_run(url, env, directory / "real.log") as app:
                    await wait_connected(fake, identified)
                    driver = Driver(fake, guild, members, final="followup")
                    problems += await lift_limits(driver, admin)
                    await driver.run(app, MEMBERS, 16, first=10_000_000)  # warm up
                    for offset, level in enumerate(levels):
                        first = (offset + 1) * 1_000_000
                        results["real"][level] = await driver.run(app, count, level, first)
                    drained = await drain(fake, len(driver.sent))
                    problems += post_problems(fake, driver.sent)
                stored = await stored_kudos(url)
                if stored != len(driver.sent):
                    problems.append(
                        f"LOST OR DOUBLED: {stored} kudos stored, {len(driver.sent)} sent"
                    )
    finally:
        await fake.close()
    return Outcome(results, drained, figures(results), problems)


def figures(results: dict[str, dict[int, Figures]]) -> list[Figure]:
    found = []
    for level, real in sorted(results["real"].items()):
        base = results["respond-only"].get(level)
        at_target = level == TARGET_IN_FLIGHT
        found.append(
            Figure(
                "discord /kudos",
                f"{level} in flight: answered/s",
                real.answered_per_second,
                "/s",
                base.answered_per_second if base else None,
                "respond-only",
                f">= {TARGET_SHARE:.0%} of respond-only" if at_target else "",
                at_least_ratio(TARGET_SHARE) if at_target else None,
            )
        )
        found.append(
            Figure(
                "discord /kudos",
                f"{level} in flight: ack p99",
                real.ack_ms(0.99),
                "ms",
                base.ack_ms(0.99) if base else None,
                "respond-only",
            )
        )
        if at_target:
            found.append(
                Figure(
                    "discord /kudos",
                    f"{level} in flight: bot CPU an interaction",
                    real.cpu_per_interaction_us,
                    "µs",
                    base.cpu_per_interaction_us if base else None,
                    "respond-only",
                )
            )
    return found


def print_details(outcome: Outcome, count: int) -> None:
    print(
        f"Discord /kudos, {count} interactions a level; each bot alone in its process, the "
        "fake Discord (REST + gateway) and the load in this one; the real bot on SQLite"
    )
    print(
        f"{'in flight':>9} {'bot':>13} {'ack p50':>9} {'ack p99':>9} {'answered/s':>10} "
        f"{'bot CPU':>7} {'µs/int':>7}  ratio"
    )
    for level in sorted(outcome.results["real"]):
        base = outcome.results["respond-only"][level]
        for kind in ("respond-only", "real"):
            f = outcome.results[kind][level]
            ratio = (
                "" if kind != "real" else f"{f.answered_per_second / base.answered_per_second:.0%}"
            )
            print(
                f"{level:>9} {kind:>13} {f.ack_ms(0.5):>7.1f}ms {f.ack_ms(0.99):>7.1f}ms "
                f"{f.answered_per_second:>10.0f} {f.cpu_seconds / f.seconds:>7.0%} "
                f"{f.cpu_per_interaction_us:>7.0f}  {ratio}"
            )
    print(
        f"every public thank-you and DM posted {outcome.drain_seconds:.2f} s after the last level"
    )


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.discord_interactions")
    parser.add_argument("--count", type=int, default=600, help="interactions per level")
    parser.add_argument("--concurrency", default="1,16", help="interactions in flight")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--gateway-url", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> Outcome:
    levels = [int(level) for level in args.concurrency.split(",")]
    return await measure(args.count, levels)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.serve:
        return _serve(args.api_url, args.gateway_url)
    logging.basicConfig(level=logging.WARNING)
    outcome = asyncio.run(run(args))
    print_details(outcome, args.count)
    return exit_code(outcome.problems)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
