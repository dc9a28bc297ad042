"""The one place that wires everything: settings -> store -> core -> adapters.

This is the composition root, the only module of `bot` that imports `storage` and `adapters`
(lazily, so that nothing is built at import time and unused platforms cost nothing).
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.clock import SystemClock
from bot.digest.publisher import DeliveryPolicy, DigestDelivery
from bot.doctor import Finding
from bot.errors import CommandLineError
from bot.handlers.context import Ports
from bot.ports import MemberDirectory, Notifier, PlatformRuntime, UnitOfWorkFactory
from bot.service import ConnectionsService
from bot.settings import Settings
from bot.telemetry import Metrics, NullMetrics, timed

if TYPE_CHECKING:
    from aiohttp import web
    from sqlalchemy.ext.asyncio import AsyncEngine

    from adapters.discord.app import DiscordRuntime
    from adapters.slack.app import OAuthConfig
    from bot.digest.scheduler import DigestScheduler

log = logging.getLogger(__name__)


def configure_logging(settings: Settings) -> None:
    from bot import logs

    logs.configure(settings.log_level)
    secrets = (
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.slack_client_secret,
        settings.discord_token,
    )
    logs.redact_secrets(s.get_secret_value() for s in secrets if s is not None)
    # A password inside the database URL is a secret too.
    logs.redact_pattern(re.compile(r"(?<=://)([^:/@\s]+):[^@\s]+(?=@)"), r"\1:[redacted]")


@dataclass
class Store:
    engine: AsyncEngine
    uow: UnitOfWorkFactory
    # Where digests go: each running platform adds its poster (see run() and run_console()).
    digests: DigestDelivery = field(default_factory=DigestDelivery)
    metrics: Metrics = field(default_factory=NullMetrics)


@asynccontextmanager
async def open_store(
    settings: Settings, migrate: bool = True, metrics: Metrics | None = None
) -> AsyncIterator[Store]:
    from storage.engine import create_engine
    from storage.migrate import upgrade
    from storage.unit_of_work import SqlUnitOfWorkFactory

    engine = create_engine(settings.database_url)
    try:
        if migrate:
            await upgrade(engine)
        counted = metrics or NullMetrics()
        yield Store(
            engine=engine,
            uow=timed(SqlUnitOfWorkFactory(engine), counted)
            if metrics
            else SqlUnitOfWorkFactory(engine),
            digests=DigestDelivery(
                policy=DeliveryPolicy.from_hours(settings.digest_grace_hours), metrics=counted
            ),
            metrics=counted,
        )
    finally:
        await engine.dispose()


def build_service(
    store: Store, directory: MemberDirectory, notifier: Notifier
) -> ConnectionsService:
    from bot.handlers.digest import register_digest_commands

    service = ConnectionsService(
        Ports(
            uow=store.uow,
            directory=directory,
            notifier=notifier,
            clock=SystemClock(),
            metrics=store.metrics,
        )
    )
    register_digest_commands(service, store.digests)
    return service


def build_digest_scheduler(settings: Settings, store: Store) -> DigestScheduler:
    """The digest ticker over every platform whose poster is in `store.digests.poster`."""
    from bot.digest.publisher import DigestPublisher
    from bot.digest.runner import DigestRunner
    from bot.digest.scheduler import DigestScheduler

    clock = SystemClock()
    publisher = DigestPublisher(store.uow, store.digests, clock)
    runner = DigestRunner(store.uow, publisher, clock, lambda: store.digests.poster.platforms)
    return DigestScheduler(runner, settings.scheduler_tick_seconds)


async def run_console(
    settings: Settings,
    name: str,
    admin: bool,
    lines: AsyncIterator[str] | None = None,
    write: Callable[[str], None] | None = None,
) -> None:
    from adapters.console.directory import COMMUNITY_ID, ConsoleDirectory
    from adapters.console.notifier import ConsoleNotifier
    from adapters.console.poster import ConsolePoster
    from adapters.console.session import ConsoleSession, stdin_lines
    from bot.digest.actions import ensure_community
    from bot.digest.scheduler import ticking

    out = write or (lambda text: print(text, flush=True))
    async with open_store(settings) as store:
        service = build_service(store, ConsoleDirectory(), ConsoleNotifier(out))
        session = ConsoleSession(service, out, name=name, admin=admin)
        interactive = lines is None and sys.stdin.isatty()
        if interactive:
            out(session.welcome())
        # The console community gets its digest printed at its due time while we run.
        store.digests.poster.add("console", ConsolePoster(out))
        await ensure_community(store.uow, SystemClock(), COMMUNITY_ID)
        async with ticking(build_digest_scheduler(settings, store)):
            await session.run(lines if lines is not None else stdin_lines())


async def db_upgrade(settings: Settings) -> str | None:
    from storage.migrate import current_revision

    async with open_store(settings, migrate=True) as store:
        return await current_revision(store.engine)


async def db_current(settings: Settings) -> tuple[str | None, str | None]:
    from storage.migrate import current_revision, head_revision

    async with open_store(settings, migrate=False) as store:
        return await current_revision(store.engine), head_revision()


async def digest_command(settings: Settings, action: str, community_id: str) -> tuple[str, int]:
    """`smart-connections digest preview|send --community ID`: (text to print, exit code)."""
    from bot.digest.actions import preview, send_now
    from bot.digest.publisher import DigestPublisher
    from bot.digest.text import digest_text
    from bot.domain import platform_of
    from bot.handlers.digest import send_reply

    clock = SystemClock()
    async with open_store(settings) as store:
        async with store.uow() as uow:
            community = await uow.communities.get(community_id)
        if community is None:
            return f"There is no community {community_id} in this database.", 1
        publisher = DigestPublisher(store.uow, store.digests, clock)
        if action == "preview":
            return digest_text(await preview(publisher, community, clock.now())), 0
        platform = platform_of(community_id)
        if platform == "console":
            from adapters.console.poster import ConsolePoster

            store.digests.poster.add("console", ConsolePoster(lambda t: print(t, flush=True)))
        else:
            runtime = await _runtime_for(platform, settings, store)
            if runtime is None:
                return f"Posting to {platform} needs its token in the environment.", 1
            store.digests.poster.add(platform, runtime.poster)
        result = await send_now(store.uow, publisher, clock, community_id, actor_id="cli")
        reply = send_reply(community, result, clock.now())
        return reply.text, 0 if reply.ok else 1


async def _runtime_for(platform: str, settings: Settings, store: Store) -> PlatformRuntime | None:
    if platform == "slack" and settings.slack_enabled:
        return await _slack_runtime(settings, store)
    if platform == "discord" and settings.discord_token is not None:
        return await _discord_runtime(settings, store)
    return None


async def run(settings: Settings, console_name: str = "you") -> None:
    """`smart-connections run`: the platforms whose tokens are set, else the console."""
    if not settings.slack_enabled and settings.discord_token is None:
        log.info("no Slack or Discord token set: starting the console adapter")
        await run_console(settings, name=console_name, admin=True)
        return
    from adapters.http.metrics import PrometheusMetrics

    async with open_store(settings, metrics=PrometheusMetrics()) as store:
        runtimes: list[PlatformRuntime] = []
        if settings.slack_enabled:
            runtimes.append(await _slack_runtime(settings, store))
        else:
            # Without Slack nobody else serves HTTP: health and metrics still need a home.
            runtimes.append(_http_only_runtime(settings, store))
        if settings.discord_token is not None:
            runtimes.append(await _discord_runtime(settings, store))
        await _serve_with_digests(settings, store, runtimes)


# SIGTERM: stop taking work, let what is in flight finish, and exit within this.
SHUTDOWN_SECONDS = 10.0


async def _serve_with_digests(
    settings: Settings, store: Store, runtimes: list[PlatformRuntime]
) -> None:
    from bot.digest.scheduler import ticking

    for runtime in runtimes:
        if runtime.platform != "http":
            store.digests.poster.add(runtime.platform, runtime.poster)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    tasks: list[asyncio.Task[None]] = []
    try:
        async with ticking(build_digest_scheduler(settings, store)):
            tasks = [asyncio.create_task(runtime.serve()) for runtime in runtimes]
            stopping = asyncio.create_task(stop.wait())
            try:
                done, _ = await asyncio.wait(
                    [*tasks, stopping], return_when=asyncio.FIRST_COMPLETED
                )
                if stopping not in done:
                    log.error("a platform stopped by itself; shutting the others down")
            finally:
                stopping.cancel()
                await _drain(tasks)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


async def _drain(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the runtimes; each drains in its own clean-up (pending posts, open requests)."""
    log.info("shutting down: finishing work in flight")
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    finished, late = await asyncio.wait(tasks, timeout=SHUTDOWN_SECONDS)
    for task in finished:
        if not task.cancelled() and task.exception() is not None:
            log.error("platform failed", exc_info=task.exception())
    if late:
        log.warning("%d platform(s) did not stop in time", len(late))


def _http_app(store: Store) -> web.Application:
    """Health (`/healthz`), readiness (`/readyz`) and, when counted, `/metrics`."""
    from adapters.http.metrics import PrometheusMetrics, add_metrics_route
    from adapters.http.server import build_http_app

    app = build_http_app(
        {"database": _database_check(store)}, ready={"migrations": _migrations_check(store)}
    )
    if isinstance(store.metrics, PrometheusMetrics):
        add_metrics_route(app, store.metrics)
    return app


def _migrations_check(store: Store) -> Callable[[], Awaitable[None]]:
    """`GET /readyz`: the schema is the one this code expects (no upgrade pending)."""

    async def check() -> None:
        from storage.migrate import current_revision, head_revision

        current, head = await current_revision(store.engine), head_revision()
        if current != head:
            raise RuntimeError(f"database at revision {current}, code expects {head}")

    return check


def _http_only_runtime(settings: Settings, store: Store) -> PlatformRuntime:
    from adapters.http.server import HttpRuntime, HttpServer

    return HttpRuntime(HttpServer(_http_app(store), settings.host, settings.port))


async def _slack_runtime(settings: Settings, store: Store) -> PlatformRuntime:
    """Slack through slack-bolt: HTTP mode on the shared HTTP server, or Socket Mode."""
    from adapters.http.metrics import api_trace
    from adapters.slack.redaction import redact_secrets_in_logs
    from adapters.slack.runtime import build_slack_runtime

    secrets = (
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.slack_client_secret,
    )
    redact_secrets_in_logs(s.get_secret_value() for s in secrets if s is not None)
    http_app = _http_app(store)
    return build_slack_runtime(
        settings,
        store.uow,
        http_app,
        lambda directory, notifier: _slack_service(store, directory, notifier),
        _slack_oauth(settings, store),
        trace_configs=[api_trace(store.metrics, "slack")],
    )


def _slack_service(
    store: Store, directory: MemberDirectory, notifier: Notifier
) -> ConnectionsService:
    from bot.commands import SetReactionEmoji
    from bot.handlers.admin import set_reaction

    service = build_service(store, directory, notifier)
    service.register(SetReactionEmoji, set_reaction)  # thanks by reaction: a Slack feature
    return service


def _slack_oauth(settings: Settings, store: Store) -> OAuthConfig | None:
    """Multi-workspace installs, when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set."""
    if settings.slack_client_id is None or settings.slack_client_secret is None:
        return None  # (spelled out rather than `settings.slack_oauth` for the type checker)
    from adapters.slack.app import OAuthConfig
    from storage.slack_installations import SqlSlackInstallationStore, SqlSlackOAuthStateStore

    return OAuthConfig(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        installations=SqlSlackInstallationStore(store.engine),
        states=SqlSlackOAuthStateStore(store.engine),
    )


def _database_check(store: Store) -> Callable[[], Awaitable[None]]:
    """`GET /healthz`: the database answers a trivial query."""

    async def check() -> None:
        from sqlalchemy import text

        async with store.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    return check


async def _discord_runtime(settings: Settings, store: Store) -> PlatformRuntime:
    """Discord through discord.py: app commands over the gateway, in this event loop."""
    return _discord_app(settings, store, sync_on_start=True)


def _discord_app(settings: Settings, store: Store, sync_on_start: bool) -> DiscordRuntime:
    from adapters.discord.app import create_runtime
    from adapters.http.metrics import api_trace

    if settings.discord_token is None:
        raise CommandLineError("set DISCORD_TOKEN to use Discord")
    try:
        return create_runtime(
            token=settings.discord_token.get_secret_value(),
            uow=store.uow,
            build_service=lambda directory, notifier: build_service(store, directory, notifier),
            shards=settings.discord_shards,
            shard_ids=settings.discord_shard_ids,
            total_shards=settings.discord_shard_count,
            api_base_url=settings.discord_api_base_url,
            gateway_url=settings.discord_gateway_url,
            sync_on_start=sync_on_start,
            client_options={"http_trace": api_trace(store.metrics, "discord")},
        )
    except ValueError as exc:  # a setting that makes no sense, e.g. DISCORD_SHARDS=many
        raise SystemExit(str(exc)) from exc


async def discord_sync(settings: Settings, guild_id: int | None = None) -> int:
    """`smart-connections discord sync [--guild ID]`: sync the app commands now, always
    (to one guild for quick testing, else globally). Returns how many were synced."""
    if settings.discord_token is None:
        raise CommandLineError("set DISCORD_TOKEN to use Discord")
    async with open_store(settings) as store:
        return await _discord_app(settings, store, sync_on_start=False).sync_commands(guild_id)


async def export_community(settings: Settings, community_id: str) -> dict[str, object]:
    from storage.backup import BackupError
    from storage.backup import export_community as export

    async with open_store(settings) as store:
        try:
            return await export(store.engine, community_id)
        except BackupError as exc:
            raise CommandLineError(str(exc)) from exc


async def import_community(settings: Settings, backup: object) -> dict[str, int]:
    from storage.backup import BackupError
    from storage.backup import import_community as restore

    if not isinstance(backup, dict):
        raise CommandLineError("this file is not a Smart Connections community backup")
    async with open_store(settings) as store:
        try:
            return await restore(store.engine, backup)
        except BackupError as exc:
            raise CommandLineError(str(exc)) from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise CommandLineError(f"the backup is damaged or incomplete ({exc})") from exc


async def doctor(settings: Settings) -> tuple[str, int]:
    """`smart-connections doctor`: (report, exit code 0 when nothing needs fixing)."""
    from bot.doctor import render, settings_findings

    findings = settings_findings(settings)
    findings.append(await _database_finding(settings))
    if settings.slack_bot_token is not None:
        from adapters.slack.doctor import check_bot_token as check_slack

        ok, detail = await check_slack(
            settings.slack_bot_token.get_secret_value(), settings.slack_api_base_url
        )
        findings.append(Finding("slack", ok, detail))
    if settings.discord_token is not None:
        from adapters.discord.doctor import check_bot_token as check_discord

        ok, detail = await check_discord(
            settings.discord_token.get_secret_value(), settings.discord_api_base_url
        )
        findings.append(Finding("discord", ok, detail))
    return render(findings), 0 if all(f.ok for f in findings) else 1


async def _database_finding(settings: Settings) -> Finding:
    from sqlalchemy import text
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from storage.engine import create_engine
    from storage.migrate import current_revision, head_revision

    try:
        engine = create_engine(settings.database_url)
    except (ArgumentError, ValueError, ImportError) as exc:
        return Finding("database", False, f"DATABASE_URL is not usable ({exc})")
    try:
        async with asyncio.timeout(10):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            current = await current_revision(engine)
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
        return Finding("database", False, f"cannot reach the database ({reason})")
    finally:
        await engine.dispose()
    head = head_revision()
    if current != head:
        return Finding(
            "database",
            False,
            f"schema at revision {current or 'none'}, newest is {head}: run "
            "`smart-connections db upgrade` (or just `run`, which upgrades on start)",
        )
    return Finding("database", True, f"reachable, schema up to date ({head})")
