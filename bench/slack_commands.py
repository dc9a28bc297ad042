"""The Slack command path: signed `/kudos` over HTTP, the real app against an ack-only app.

Both apps run in a child process of their own, one after the other, on the same HTTP stack
(the shared aiohttp server with bolt mounted on it, `process_before_response=True`):

- "ack-only": a bolt AsyncApp whose /kudos listener only acks (the ceiling);
- "real": the app bootstrap builds, with its durable write (SQLite file, or PostgreSQL)
  before the ack, and its posts and DMs after it.

This process drives 1, 16 and 64 concurrent clients against each for a few seconds, and
hosts the fake Slack the apps call (users.info, chat.postMessage, the response URLs), so
the apps' processes do only their own work. It prints requests a second and p50/p99
latency, and the real app's share of the ack-only throughput.

    python -m bench.slack_commands [--seconds 3] [--clients 1,16,64] [--postgres]

The communities' daily kudos limit is turned off first (through the admin command), so
the limit measures nothing but itself. Exits non-zero when the stored kudos differ from
the acks that said "recorded" (a lost or doubled record), or when a request fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

ADMIN = "UADMIN"
PEOPLE = [f"UP{i:04d}" for i in range(2000)]
CHANNELS = [f"CB{i:04d}" for i in range(5000)]
SIGNING_SECRET = "bench-signing-secret-0123456789"
BOT_TOKEN = "xoxb-1111-2222-fakebottokenvalue"  # the fake Slack's bot token
PG = "postgresql+asyncpg://postgres@127.0.0.1:5432"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


# --- the apps under test (child processes) ----------------------------------------------


def _settings(fake_url: str, database_url: str, port: int) -> object:
    from bot.settings import Settings

    return Settings(
        database_url=database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_base_url=f"{fake_url}/api/",
        host="127.0.0.1",
        port=port,
        log_level="WARNING",
    )


async def _serve_ack_only(fake_url: str) -> None:
    from slack_bolt.app.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.http.server import HttpServer, build_http_app
    from adapters.slack.http_routes import mount_slack

    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=f"{fake_url}/api/"),
        signing_secret=SIGNING_SECRET,
        process_before_response=True,
    )

    async def kudos(ack: object) -> None:
        await ack()  # type: ignore[operator]

    app.command("/kudos")(kudos)
    http_app = build_http_app({})
    mount_slack(http_app, app)
    server = HttpServer(http_app, "127.0.0.1", 0)
    await server.start()
    print(f"PORT {server.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


async def _serve_real(fake_url: str, database_url: str) -> None:
    from adapters.slack.runtime import SlackRuntime
    from bot import bootstrap

    settings = _settings(fake_url, database_url, 0)
    async with bootstrap.open_store(settings) as store:  # type: ignore[arg-type]
        runtime = await bootstrap._slack_runtime(settings, store)  # type: ignore[arg-type]
        assert isinstance(runtime, SlackRuntime)
        serving = asyncio.create_task(runtime.serve())
        started = asyncio.create_task(runtime.started.wait())
        await asyncio.wait({serving, started}, return_when=asyncio.FIRST_COMPLETED)
        if serving.done():
            serving.result()
        print(f"PORT {runtime.http.port}", flush=True)
        await serving


def _child(kind: str, fake_url: str, database_url: str) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        if kind == "ack-only":
            await _serve_ack_only(fake_url)
        else:
            await _serve_real(fake_url, database_url)

    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(main())
    return 0


@asynccontextmanager
async def app_process(kind: str, fake_url: str, database_url: str) -> AsyncIterator[str]:
    """The app in a child process; yields its base URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.slack_commands",
        "--serve",
        kind,
        "--fake-url",
        fake_url,
        "--database-url",
        database_url,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(START_TIMEOUT):
            line = (await process.stdout.readline()).decode()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the {kind} app did not start (it said {line!r})")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(STOP_TIMEOUT):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


# --- the load ---------------------------------------------------------------------------


def _signed(body: str) -> dict[str, str]:
    from tests.slack.harness import sign

    ts = str(int(time.time()))
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(body, ts, SIGNING_SECRET),
    }


@dataclass
class Load:
    fake_url: str
    ids: itertools.count[int] = field(default_factory=itertools.count)

    def body(self, text: str, user: str, channel: str) -> str:
        n = next(self.ids)
        return urlencode(
            {
                "team_id": "T0TEAM",
                "channel_id": channel,
                "user_id": user,
                "user_name": user.lower(),
                "command": "/kudos" if not text.startswith("admin") else "/connections",
                "text": text,
                "response_url": f"{self.fake_url}/respond/{n}",
                "trigger_id": f"{n}.{uuid.uuid4().hex}",
            }
        )

    def kudos_body(self, rng: random.Random) -> str:
        giver, recipient = rng.sample(PEOPLE, 2)
        return self.body(
            f"<@{recipient}> for the help with the release checklist #teamwork",
            giver,
            rng.choice(CHANNELS),
        )


@dataclass
class Result:
    app: str
    clients: int
    seconds: float
    latencies: list[float]
    recorded: int
    late: int  # acked "working on it": the answer came past the ack budget
    failures: int

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def drive(url: str, load: Load, clients: int, seconds: float, app: str) -> Result:
    latencies: list[float] = []
    counts = {"recorded": 0, "late": 0, "failures": 0}
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=10)

    async def client(index: int, session: aiohttp.ClientSession) -> None:
        rng = random.Random(index)
        while time.perf_counter() < deadline:
            body = load.kudos_body(rng)
            started = time.perf_counter()
            async with session.post(f"{url}/slack/events", data=body, headers=_signed(body)) as r:
                text = await r.text()
            latencies.append(time.perf_counter() - started)
            if r.status != 200:
                counts["failures"] += 1
            elif "recorded" in text:
                counts["recorded"] += 1
            elif "working on it" in text:
                counts["late"] += 1

    began = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(client(i, session) for i in range(clients)))
    elapsed = time.perf_counter() - began
    return Result(
        app, clients, elapsed, latencies, counts["recorded"], counts["late"], counts["failures"]
    )


async def _post(url: str, body: str) -> str:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.post(f"{url}/slack/events", data=body, headers=_signed(body)) as response,
    ):
        return await response.text()


async def _stored_kudos(database_url: str) -> int:
    from sqlalchemy import func, select

    from storage import tables as t
    from storage.engine import create_engine

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(t.kudos)) or 0)
    finally:
        await engine.dispose()


@asynccontextmanager
async def database(postgres: bool, directory: Path) -> AsyncIterator[str]:
    if not postgres:
        yield f"sqlite+aiosqlite:///{directory / 'bench.db'}"
        return
    import asyncpg

    name = f"sc_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(host="127.0.0.1", user="postgres", database="postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def run(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    from tests.slack.fake_slack import FakeSlack

    levels = [int(n) for n in args.clients.split(",")]
    fake = FakeSlack()
    fake.add_user(ADMIN, "Ada Admin", is_admin=True)
    for person in PEOPLE:
        fake.add_user(person, f"Person {person[2:]}")
    await fake.start()
    problems: list[str] = []
    results: list[Result] = []
    recorded = 0  # acks of the real app that said "recorded", warm-up included
    try:
        with tempfile.TemporaryDirectory() as directory:
            async with database(args.postgres, Path(directory)) as url:
                load = Load(fake.url)
                for app in ("ack-only", "real"):
                    async with app_process(app, fake.url, url) as base:
                        if app == "real":
                            answer = await _post(
                                base, load.body("admin limit daily 0", ADMIN, CHANNELS[0])
                            )
                            if "limit is off" not in answer:
                                problems.append(f"could not lift the daily limit: {answer}")
                        runs = [await drive(base, load, 4, 0.5, app)]  # warm-up
                        for clients in levels:
                            runs.append(await drive(base, load, clients, args.seconds, app))
                    results += runs[1:]
                    failures = sum(r.failures for r in runs)
                    if failures:
                        problems.append(f"{failures} requests to the {app} app failed")
                    if app == "real":
                        # Answers past the ack budget arrive through the response URL.
                        late = sum("recorded" in str(body) for _, body in fake.responses)
                        recorded = sum(r.recorded for r in runs) + late
                    fake.calls.clear()
                    fake.responses.clear()
                stored = await _stored_kudos(url)
    finally:
        await fake.stop()
    _print(results, args)
    if stored != recorded:
        problems.append(f"stored {stored} kudos, but {recorded} acks said recorded")
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.slack_commands", description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per client level and app")
    parser.add_argument("--clients", default="1,16,64", help="concurrent client levels")
    parser.add_argument("--postgres", action="store_true", help="the real app on PostgreSQL")
    parser.add_argument("--serve", choices=["ack-only", "real"], help=argparse.SUPPRESS)
    parser.add_argument("--fake-url", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _print(results: list[Result], args: argparse.Namespace) -> None:
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"Slack /kudos, signed, over HTTP: real app (durable write on {backend}) "
        f"vs ack-only bolt app, {args.seconds:g} s per level"
    )
    print(
        f"{'clients':>7}  {'app':<8}  {'req/s':>8}  {'p50 ms':>7}  {'p99 ms':>7}  "
        f"{'late':>5}  ratio"
    )
    baseline = {r.clients: r.throughput for r in results if r.app == "ack-only"}
    for r in sorted(results, key=lambda r: (r.clients, r.app)):
        ratio = "" if r.app == "ack-only" else f"{r.throughput / baseline[r.clients]:.0%}"
        print(
            f"{r.clients:>7}  {r.app:<8}  {r.throughput:>8.0f}  {r.percentile(0.5):>7.2f}  "
            f"{r.percentile(0.99):>7.2f}  {r.late:>5}  {ratio}"
        )
    print('late: acks past the 1.5 s budget ("working on it"; the answer followed)')
    print("targets at 16 clients: real >= 60% of ack-only throughput, real p99 < 25 ms")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.serve:
        return _child(args.serve, args.fake_url, args.database_url)
    return asyncio.run(run(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
