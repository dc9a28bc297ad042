"""The Discord interaction path: `/kudos` through the fake gateway, the real bot against a
bot whose command only responds.

Both bots are real discord.py clients connected to the same in-process fake Discord (REST
and gateway on 127.0.0.1), one after the other:

- "respond-only": a client whose /kudos (same options) answers "ok" at once (the ceiling);
- "real": the bot bootstrap builds (SQLite file): defer, core rules and durable write, the
  private answer, the public thank-you and the DMs.

For 1 and 16 interactions in flight it prints p50/p99 ack latency (to the interaction
callback, what Discord's 3-second limit is about), interactions fully answered a second
(the private answer sent) and the real bot's ratios against the respond-only one.

    python -m bench.discord_interactions [--count 300] [--concurrency 1,16]

Exits non-zero when the stored kudos differ from the interactions sent (lost or doubled).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from adapters.discord.client import minimal_intents
from adapters.discord.endpoints import point_at
from bot.bootstrap import Store, open_store
from bot.domain import Community
from bot.settings import Settings
from tests.discord import payloads as p
from tests.discord.fake_discord import Channel, FakeDiscord, Guild, Request, User
from tests.discord.harness import TOKEN, build_runtime

MEMBERS = 200
TIMEOUT = 30.0


@dataclass
class Figures:
    done_per_second: float  # interactions fully answered (the private answer sent) a second
    ack_p50_ms: float
    ack_p99_ms: float


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def respond_only_client() -> discord.Client:
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

    return client


class Driver:
    """Sends /kudos interactions and times their callback and their private answer."""

    def __init__(self, fake: FakeDiscord, guild: Guild, members: list[User], final: str) -> None:
        self.fake = fake
        self.guild = guild
        self.members = members
        self.final = final  # "callback" (respond-only) or "followup" (real, deferred)
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
            p.text("reason", f"for the careful review of change {n}"),
            resolved_data=p.resolved(members=[recipient]),
        )
        return self.fake.interaction(self.guild, giver, data)

    async def one(self, n: int) -> tuple[float, float]:
        payload = self._kudos(n)
        loop = asyncio.get_running_loop()
        acked = self._waiting[("callback", payload["token"])] = loop.create_future()
        done = acked
        if self.final == "followup":
            done = self._waiting[("followup", payload["token"])] = loop.create_future()
        started = time.perf_counter()
        await self.fake.send_interaction(payload)
        ack_at = await asyncio.wait_for(acked, TIMEOUT)
        done_at = await asyncio.wait_for(done, TIMEOUT)
        return ack_at - started, done_at - started

    async def run(self, count: int, concurrency: int, first: int) -> Figures:
        queue = iter(range(first, first + count))
        acks: list[float] = []
        dones: list[float] = []

        async def worker() -> None:
            for n in queue:
                ack, done = await self.one(n)
                acks.append(ack)
                dones.append(done)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        return Figures(
            done_per_second=count / elapsed,
            ack_p50_ms=statistics.median(acks) * 1000,
            ack_p99_ms=_percentile(acks, 0.99) * 1000,
        )


@contextlib.asynccontextmanager
async def serving(client: discord.Client, start: Callable[[], Any]) -> AsyncIterator[None]:
    task = asyncio.create_task(start())
    try:
        await asyncio.wait_for(client.wait_until_ready(), TIMEOUT)
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if not client.is_closed():
            await client.close()


async def measure(count: int, levels: list[int]) -> int:
    fake = FakeDiscord(TOKEN)
    await fake.start()
    members = [User(id=100000000000000001 + i, name=f"Member {i}") for i in range(MEMBERS)]
    general = Channel(id=300000000000000001, name="general")
    guild = fake.add_guild(
        Guild(id=200000000000000001, name="Bench", members=members, channels=[general])
    )
    point_at(fake.api_url, fake.gateway_url)
    results: dict[str, dict[int, Figures]] = {}
    status = 0
    try:
        baseline = respond_only_client()
        async with serving(baseline, lambda: baseline.start(TOKEN)):
            driver = Driver(fake, guild, members, final="callback")
            await driver.run(20, 1, first=0)  # warm up
            results["respond-only"] = {c: await driver.run(count, c, first=0) for c in levels}
            fake.listeners.clear()

        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            async with open_store(Settings(_env_file=None, database_url=url)) as store:
                await _no_daily_limit(store, f"discord:{guild.id}")
                runtime = build_runtime(fake, store)
                async with serving(runtime.client, runtime.serve):
                    driver = Driver(fake, guild, members, final="followup")
                    await driver.run(20, 1, first=10_000_000)  # warm up
                    results["real"] = {}
                    for offset, level in enumerate(levels):
                        first = (offset + 1) * 1_000_000
                        results["real"][level] = await driver.run(count, level, first=first)
                expected = 20 + count * len(levels)
                stored = await _stored_kudos(store, f"discord:{guild.id}")
                if stored != expected:
                    print(f"LOST OR DOUBLED: {stored} kudos stored, {expected} sent")
                    status = 1
    finally:
        await fake.close()

    print(f"{count} /kudos interactions per level; SQLite; fake Discord in this process")
    print(f"{'in flight':>9} {'bot':>13} {'ack p50':>9} {'ack p99':>9} {'answered/s':>10}")
    for level in levels:
        for kind in ("respond-only", "real"):
            f = results[kind][level]
            print(
                f"{level:>9} {kind:>13} {f.ack_p50_ms:>7.1f}ms {f.ack_p99_ms:>7.1f}ms "
                f"{f.done_per_second:>10.0f}"
            )
        base, real = results["respond-only"][level], results["real"][level]
        print(
            f"{level:>9} {'real/respond':>13} ack p50 {real.ack_p50_ms / base.ack_p50_ms:.2f}x, "
            f"ack p99 {real.ack_p99_ms / base.ack_p99_ms:.2f}x, "
            f"answered/s {real.done_per_second / base.done_per_second:.2f}x"
        )
    return status


async def _no_daily_limit(store: Store, community_id: str) -> None:
    async with store.uow() as uow:
        await uow.communities.save(Community(id=community_id, daily_kudos_limit=0))
        await uow.commit()


async def _stored_kudos(store: Store, community_id: str) -> int:
    async with store.uow() as uow:
        now = datetime.now(UTC)
        return len(await uow.kudos.between(community_id, now - timedelta(days=1), now))


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.discord_interactions")
    parser.add_argument("--count", type=int, default=300, help="interactions per level")
    parser.add_argument("--concurrency", default="1,16", help="interactions in flight")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    logging.basicConfig(level=logging.WARNING)
    levels = [int(level) for level in args.concurrency.split(",")]
    return asyncio.run(measure(args.count, levels))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
