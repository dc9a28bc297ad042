"""The Slack command path: signed `/kudos` over HTTP, the real app against an ack-only app.

Three processes, so that each figure is the app's and not the harness's:

- the app under test, alone in its process: either "ack-only", a bolt AsyncApp whose
  /kudos listener only acks (the ceiling), on the same HTTP stack as the real app (the
  shared aiohttp server with bolt mounted, `process_before_response=True`); or "real",
  `python -m bot run` exactly as deployed (Prometheus metrics, digest scheduler ticking),
  on a SQLite file or a PostgreSQL database: the durable write before the ack, the public
  thank-you and the DM after it;
- this process: the load (closed-loop clients, each on a keep-alive connection) and the fake
  Slack Web API the app calls, both on lean asyncio protocols (bench/lean_http.py) so that
  the app, not the harness, is the bottleneck. PostgreSQL, when used, is the machine's own.

Each level runs for a few seconds; then the bench waits until every post the acks promised
has reached the fake Slack ("drained"). It reports requests a second, p50/p99 latency, the
app's CPU time a request and its share of a core, and the real app's ratio to the ack-only
one. Before measuring, a warm-up gives every member one kudos (Slack's users.info and the
DM channels are then cached, as in a busy workspace), and the admin lifts the kudos limits
through /connections admin, so the limits measure nothing but themselves.

It exits non-zero when a kudos was lost or doubled: stored kudos differ from the acks that
said "recorded", two share a delivery id, a recorded kudos has not exactly one public post
and one DM, or a repeated delivery (Slack retrying) was recorded again.

    python -m bench.slack_commands [--seconds 3] [--clients 1,16,64] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import hashlib
import hmac
import itertools
import logging
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.fake_slack_api import BOT_TOKEN, TEAM_ID, LeanSlack, user
from bench.lean_http import LeanConnection
from bench.processes import App, bot_run, child, database
from bench.table import Figure, at_least_ratio, below, exit_code

ADMIN = "UADMIN"
# Kudos rotate over the members and channels, so that Slack's pace of one message a second
# per channel (which the app keeps) rarely holds a post back: the drain then shows work.
PEOPLE = [f"UP{i:04d}" for i in range(3000)]
CHANNELS = [f"CB{i:04d}" for i in range(6000)]
SIGNING_SECRET = "bench-signing-secret-0123456789"
DRAIN_TIMEOUT = 60.0
REQUEST_TIMEOUT = 10.0
REPEATS = 200  # deliveries sent again at the end: each must be recognised, none recorded
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
TARGET_SHARE = {"sqlite": 0.60, "postgresql": 0.40}
TARGET_P99_MS = 25.0
TARGET_CLIENTS = 16
_REF = re.compile(r"\(ref (\d+)\)")
LIMITS = ("daily", "burst")  # /connections admin limit <kind> 0 turns each off


# --- the ack-only app (a child process) ------------------------------------------------------


async def _serve_ack_only(api_url: str) -> None:
    from slack_bolt.app.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.http.server import HttpServer, build_http_app
    from adapters.slack.http_routes import mount_slack

    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=api_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=True,
    )

    async def kudos(ack: object) -> None:
        await ack()  # type: ignore[operator]

    app.command("/kudos")(kudos)
    app.command("/connections")(kudos)
    http_app = build_http_app({})
    mount_slack(http_app, app)
    server = HttpServer(http_app, "127.0.0.1", 0)
    await server.start()
    print(f"PORT {server.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def _serve(api_url: str) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        await _serve_ack_only(api_url)

    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(main())
    return 0


# --- the load -------------------------------------------------------------------------------


def signed_headers(body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    base = b"v0:" + timestamp.encode() + b":" + body
    signature = hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={signature}",
    }


@dataclass(frozen=True)
class Kudos:
    ref: int
    giver: str
    recipient: str
    channel: str


@dataclass
class Load:
    """Slash command bodies, each with a unique trigger id (Slack's delivery id) and, for
    kudos, a unique reference in the reason, so each post can be traced to its kudos."""

    response_base: str
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def body(self, command: str, text: str, user_id: str, channel: str) -> bytes:
        n = next(self.ids)
        return urlencode(
            {
                "team_id": TEAM_ID,
                "channel_id": channel,
                "user_id": user_id,
                "user_name": user_id.lower(),
                "command": command,
                "text": text,
                "response_url": f"{self.response_base}/respond/{n}",
                "trigger_id": f"{n}.bench.{n * 7919 % 100003}",
            }
        ).encode()

    def kudos(self, giver: str, recipient: str, channel: str) -> tuple[Kudos, bytes]:
        ref = next(self.ids)
        text = f"<@{recipient}> for the help with the release checklist (ref {ref}) #teamwork"
        return Kudos(ref, giver, recipient, channel), self.body("/kudos", text, giver, channel)


@dataclass
class Level:
    app: str
    backend: str
    clients: int
    seconds: float
    latencies: list[float]
    recorded: list[Kudos]
    late: int
    failures: list[str]
    cpu_seconds: float
    drain_seconds: float = 0.0

    @property
    def throughput(self) -> float:
        """Requests answered a second, counting until their posts and DMs reached Slack too:
        work left for after the level (a backlog of posts) makes this figure worse."""
        return len(self.latencies) / (self.seconds + self.drain_seconds)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    @property
    def cpu_per_request_us(self) -> float:
        return self.cpu_seconds / max(1, len(self.latencies)) * 1e6

    @property
    def cpu_share(self) -> float:
        return self.cpu_seconds / self.seconds


class Driver:
    """Closed-loop clients on keep-alive connections to the app."""

    def __init__(self, app: App, load: Load) -> None:
        parts = urlsplit(app.base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.app = app
        self.load = load
        self.sent: list[tuple[Kudos, bytes]] = []  # recorded kudos and their bodies
        self._turns = itertools.count()

    def next_pair(self) -> tuple[str, str]:
        n = next(self._turns)
        recipient = PEOPLE[n % len(PEOPLE)]
        giver = PEOPLE[(n * 7 + 1) % len(PEOPLE)]
        return giver if giver != recipient else PEOPLE[(n + 1) % len(PEOPLE)], recipient

    def next_channel(self) -> str:
        return CHANNELS[next(self._turns) % len(CHANNELS)]

    async def send(self, connection: LeanConnection, body: bytes) -> tuple[int, str]:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            answer = await connection.request("POST", "/slack/events", signed_headers(body), body)
        return answer.status, answer.body.decode()

    async def command(self, command: str, text: str, user_id: str = ADMIN) -> str:
        connection = await LeanConnection.open(self.host, self.port)
        try:
            status, answer = await self.send(
                connection, self.load.body(command, text, user_id, CHANNELS[0])
            )
        finally:
            await connection.close()
        if status != 200:
            raise RuntimeError(f"{command} {text}: HTTP {status} {answer}")
        return answer

    async def run(
        self,
        clients: int,
        seconds: float | None,
        kind: str,
        backend: str,
        pairs: list[tuple[str, str]] | None = None,
    ) -> Level:
        """`clients` workers for `seconds`, or until `pairs` (giver, recipient) are sent."""
        latencies: list[float] = []
        recorded: list[Kudos] = []
        failures: list[str] = []
        late = 0
        queue = iter(pairs) if pairs is not None else None
        deadline = time.perf_counter() + (seconds or 0.0)

        async def worker(index: int) -> None:
            nonlocal late
            connection = await LeanConnection.open(self.host, self.port)
            try:
                while True:
                    if queue is not None:
                        pair = next(queue, None)
                        if pair is None:
                            return
                        giver, recipient = pair
                    elif time.perf_counter() >= deadline:
                        return
                    else:
                        giver, recipient = self.next_pair()
                    kudos, body = self.load.kudos(giver, recipient, self.next_channel())
                    started = time.perf_counter()
                    try:
                        status, answer = await self.send(connection, body)
                    except (OSError, TimeoutError) as exc:
                        failures.append(f"{type(exc).__name__}: {exc}")
                        return
                    latencies.append(time.perf_counter() - started)
                    if status != 200:
                        failures.append(f"HTTP {status}: {answer[:200]}")
                    elif "recorded" in answer and "Already" not in answer:
                        recorded.append(kudos)
                        self.sent.append((kudos, body))
                    elif "working on it" in answer:
                        late += 1
                        self.sent.append((kudos, body))
                    elif kind == "real":
                        failures.append(f"unexpected answer: {answer[:200]}")
            finally:
                await connection.close()

        cpu = self.app.cpu()
        began = time.perf_counter()
        with harness_gc_paused():
            await asyncio.gather(*(worker(i) for i in range(clients)))
        elapsed = time.perf_counter() - began
        cpu = self.app.cpu() - cpu
        return Level(kind, backend, clients, elapsed, latencies, recorded, late, failures, cpu)


@contextlib.contextmanager
def harness_gc_paused() -> Iterator[None]:
    """No garbage collection in this process while a level runs: a full collection of the
    harness's heap (every post recorded) takes tens of ms, which the latencies would show."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# --- checks ---------------------------------------------------------------------------------


async def drain(fake: LeanSlack, expected_posts: int) -> float:
    """Seconds until the fake Slack holds `expected_posts` posts (raises past the timeout)."""
    started = time.perf_counter()
    async with asyncio.timeout(DRAIN_TIMEOUT):
        while fake.posted_count() < expected_posts:  # noqa: ASYNC110 (polling the fake)
            await asyncio.sleep(0.01)
    return time.perf_counter() - started


def post_problems(fake: LeanSlack, kudos: list[Kudos]) -> list[str]:
    """Every recorded kudos has exactly one public post and one DM; nothing else posted."""
    seen: Counter[tuple[str, int]] = Counter()
    for channel, texts in fake.posts.items():
        for text in texts:
            for ref in _REF.findall(text):
                seen[(channel, int(ref))] += 1
    expected: Counter[tuple[str, int]] = Counter()
    for k in kudos:
        expected[(k.channel, k.ref)] += 1
        expected[(f"D{k.recipient}", k.ref)] += 1
    problems = []
    missing = expected - seen
    doubled = seen - expected
    if missing:
        problems.append(f"{sum(missing.values())} posts or DMs missing, e.g. {next(iter(missing))}")
    if doubled:
        problems.append(f"{sum(doubled.values())} posts or DMs doubled or unasked for")
    return problems


async def stored_kudos(database_url: str) -> tuple[int, int]:
    """(kudos stored, distinct delivery ids among them)."""
    from sqlalchemy import distinct, func, select

    from storage import tables as t
    from storage.engine import create_engine

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    select(func.count(), func.count(distinct(t.kudos.c.delivery_id)))
                )
            ).one()
            return int(row[0]), int(row[1])
    finally:
        await engine.dispose()


# --- one app ----------------------------------------------------------------------------------


@dataclass
class AppRun:
    kind: str
    backend: str
    levels: list[Level]
    warm_up: Level
    problems: list[str]


@asynccontextmanager
async def start_app(
    kind: str, backend: str, fake: LeanSlack, directory: Path
) -> AsyncIterator[tuple[App, str | None]]:
    log = directory / f"{kind}-{backend}.log"
    if kind == "ack-only":
        argv = ["-m", "bench.slack_commands", "--serve", "--api-url", fake.api_url]
        async with child(argv, log) as app:
            yield app, None
        return
    async with database(backend, directory) as url:
        if url is None:
            raise LookupError(f"{backend} is not available")
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_BASE_URL": fake.api_url,
        }
        async with bot_run(url, env, log) as app:
            yield app, url


async def measure_app(
    kind: str, backend: str, fake: LeanSlack, levels: list[int], seconds: float, directory: Path
) -> AppRun:
    problems: list[str] = []
    fake.posts.clear()
    fake.responses.clear()
    async with start_app(kind, backend, fake, directory) as (app, url):
        load = Load(fake.url)
        driver = Driver(app, load)
        if kind == "real":
            for limit in LIMITS:
                answer = await driver.command("/connections", f"admin limit {limit} 0")
                if "off" not in answer:
                    problems.append(f"could not lift the {limit} limit: {answer}")
        # Every member gives and receives once: Slack's answers about them are then cached.
        pairs = [(p, PEOPLE[(i + 1) % len(PEOPLE)]) for i, p in enumerate(PEOPLE)]
        expected = 0
        warm_up = await driver.run(16, None, kind, backend, pairs=pairs)
        results: list[Level] = []
        for level in [warm_up, *[None for _ in levels]]:
            if level is None:
                level = await driver.run(levels[len(results)], seconds, kind, backend)
                results.append(level)
            if kind == "real":
                expected += 2 * (len(level.recorded) + level.late)  # a post and a DM each
                try:
                    level.drain_seconds = await drain(fake, expected)
                except TimeoutError:
                    missing = expected - fake.posted_count()
                    problems.append(f"{level.clients} clients: {missing} posts missing")
        for level in [warm_up, *results]:
            problems += [f"{level.clients} clients: {f}" for f in level.failures[:3]]
        if kind == "real" and url is not None:
            problems += await check_records(driver, fake, url, [warm_up, *results])
    return AppRun(kind, backend, results, warm_up, problems)


async def check_records(
    driver: Driver, fake: LeanSlack, url: str, levels: list[Level]
) -> list[str]:
    problems: list[str] = []
    # Slack retrying some deliveries: the same bodies (same trigger ids), signed anew.
    sample = random.Random(3).sample(driver.sent, min(REPEATS, len(driver.sent)))
    posted = fake.posted_count()
    connections = [await LeanConnection.open(driver.host, driver.port) for _ in range(16)]
    try:

        async def again(index: int) -> str:
            _, body = sample[index]
            return (await driver.send(connections[index % 16], body))[1]

        answers: list[str] = []
        for start in range(0, len(sample), 16):
            batch = range(start, min(start + 16, len(sample)))
            answers += await asyncio.gather(*(again(i) for i in batch))
    finally:
        for connection in connections:
            await connection.close()
    recognised = sum("Already recorded" in answer for answer in answers)
    if recognised != len(sample):
        missed = len(sample) - recognised
        problems.append(f"{missed} of {len(sample)} repeated deliveries not recognised")
    await asyncio.sleep(0.5)  # a wrongly recorded repeat would post now
    if fake.posted_count() != posted:
        problems.append("a repeated delivery was posted again")
    recorded = [k for level in levels for k in level.recorded]
    late_refs = {
        int(m)
        for _, body in fake.responses
        if "recorded" in str(body.get("text", ""))
        for m in _REF.findall(str(body))
    }
    late_kudos = [k for k, _ in driver.sent if k.ref in late_refs]
    stored, distinct = await stored_kudos(url)
    expected = len(recorded) + len(late_kudos)
    if stored != expected:
        problems.append(f"LOST OR DOUBLED: {stored} kudos stored, {expected} acks said recorded")
    if distinct != stored:
        problems.append(f"DOUBLED: {stored - distinct} kudos share a delivery id")
    problems += post_problems(fake, recorded + late_kudos)
    if fake.unexpected:
        problems.append(f"unexpected calls to the fake Slack: {fake.unexpected[:5]}")
    return problems


# --- the whole bench --------------------------------------------------------------------------


@dataclass
class Outcome:
    runs: list[AppRun]
    figures: list[Figure]
    problems: list[str]


def lean_fake() -> LeanSlack:
    users = {p: user(p, f"Person {p[2:]}") for p in PEOPLE}
    users[ADMIN] = user(ADMIN, "Ada Admin", is_admin=True)
    return LeanSlack(users=users)


async def measure(levels: list[int], seconds: float, backends: list[str]) -> Outcome:
    runs: list[AppRun] = []
    problems: list[str] = []
    fake = lean_fake()
    await fake.start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-slack-") as tmp:
            directory = Path(tmp)
            runs.append(await measure_app("ack-only", "-", fake, levels, seconds, directory))
            for backend in backends:
                try:
                    run = await measure_app("real", backend, fake, levels, seconds, directory)
                    runs.append(run)
                except LookupError:
                    print(f"  {backend}: skipped, the server is not answering")
    finally:
        await fake.stop()
    for run in runs:
        problems += [f"{run.kind} {run.backend}: {p}" for p in run.problems]
    return Outcome(runs, figures(runs), problems)


def figures(runs: list[AppRun]) -> list[Figure]:
    base = {level.clients: level for run in runs if run.kind == "ack-only" for level in run.levels}
    found: list[Figure] = []
    for run in runs:
        if run.kind != "real":
            continue
        name = BACKEND_NAMES.get(run.backend, run.backend)
        for level in run.levels:
            baseline = base.get(level.clients)
            at_target = level.clients == TARGET_CLIENTS
            share = TARGET_SHARE.get(run.backend, 0.6)
            found.append(
                Figure(
                    "slack /kudos",
                    f"{name}, {level.clients} clients: req/s",
                    level.throughput,
                    "req/s",
                    baseline.throughput if baseline else None,
                    "ack-only",
                    f">= {share:.0%} of ack-only" if at_target else "",
                    at_least_ratio(share) if at_target else None,
                )
            )
            found.append(
                Figure(
                    "slack /kudos",
                    f"{name}, {level.clients} clients: p99",
                    level.percentile(0.99),
                    "ms",
                    baseline.percentile(0.99) if baseline else None,
                    "ack-only",
                    f"< {TARGET_P99_MS:g} ms" if at_target else "",
                    below(TARGET_P99_MS) if at_target else None,
                )
            )
            if at_target:
                found.append(
                    Figure(
                        "slack /kudos",
                        f"{name}, {level.clients} clients: app CPU a request",
                        level.cpu_per_request_us,
                        "µs",
                        baseline.cpu_per_request_us if baseline else None,
                        "ack-only",
                    )
                )
    return found


def print_details(outcome: Outcome, seconds: float) -> None:
    print(
        f"Slack /kudos, signed, over HTTP, {seconds:g} s a level; the app alone in its process, "
        "the load and the fake Slack Web API in this one"
    )
    header = (
        f"{'app':<20} {'clients':>7} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'app CPU':>7} {'µs/req':>7} {'late':>4} {'drained':>8}  ratio"
    )
    print(header)
    base = {
        level.clients: level.throughput
        for run in outcome.runs
        if run.kind == "ack-only"
        for level in run.levels
    }
    for run in outcome.runs:
        label = run.kind if run.kind == "ack-only" else f"real, {BACKEND_NAMES[run.backend]}"
        for level in run.levels:
            share = level.throughput / base[level.clients]
            ratio = "" if run.kind == "ack-only" else f"{share:.0%}"
            drained = f"{level.drain_seconds:.2f} s" if run.kind == "real" else ""
            print(
                f"{label:<20} {level.clients:>7} {level.throughput:>7.0f} "
                f"{level.percentile(0.5):>7.2f} {level.percentile(0.99):>7.2f} "
                f"{level.cpu_share:>7.0%} {level.cpu_per_request_us:>7.0f} {level.late:>4} "
                f"{drained:>8}  {ratio}"
            )
    print(
        "req/s: requests answered a second, counted until the last post and DM reached Slack; "
        "drained: how long after the level that was; app CPU: the app process's CPU time "
        "over the level (100% = one core)"
    )


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.slack_commands", description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per client level and app")
    parser.add_argument("--clients", default="1,16,64", help="concurrent client levels")
    parser.add_argument("--backends", default="sqlite,postgresql", help="for the real app")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> Outcome:
    levels = [int(n) for n in args.clients.split(",")]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    return await measure(levels, args.seconds, backends)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.serve:
        return _serve(args.api_url)
    outcome = asyncio.run(run(args))
    print_details(outcome, args.seconds)
    return exit_code(outcome.problems)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
