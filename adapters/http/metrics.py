"""Prometheus metrics: the bot's Metrics port, rendered at GET /metrics."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.telemetry import Metrics


class PrometheusMetrics:
    """One registry per process (not the library's global one, so tests stay independent)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._commands = Counter(
            "smart_connections_commands_total",
            "Commands handled, by command and outcome (ok, refused, unavailable, error).",
            ["command", "outcome"],
            registry=self.registry,
        )
        self._kudos = Counter(
            "smart_connections_kudos_recorded_total",
            "Kudos recorded.",
            registry=self.registry,
        )
        self._digests = Counter(
            "smart_connections_digests_total",
            "Digest posts finished, by status (posted, failed, released, skipped) and lateness.",
            ["status", "late"],
            registry=self.registry,
        )
        self._platform = Counter(
            "smart_connections_platform_calls_total",
            "Platform API calls that failed or were retried, by platform and outcome.",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self._database = Histogram(
            "smart_connections_database_seconds",
            "How long each database transaction held its connection.",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )

    def command_handled(self, command: str, outcome: str) -> None:
        self._commands.labels(command=command, outcome=outcome).inc()

    def kudos_recorded(self, count: int = 1) -> None:
        self._kudos.inc(count)

    def digest_finished(self, status: str, late: bool) -> None:
        self._digests.labels(status=status, late=str(late).lower()).inc()

    def platform_call(self, platform: str, outcome: str) -> None:
        self._platform.labels(platform=platform, outcome=outcome).inc()

    def database_seconds(self, seconds: float) -> None:
        self._database.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def add_metrics_route(app: web.Application, metrics: PrometheusMetrics) -> None:
    async def serve_metrics(request: web.Request) -> web.Response:
        response = web.Response(body=metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app.router.add_get("/metrics", serve_metrics)


def api_trace(metrics: Metrics, platform: str) -> aiohttp.TraceConfig:
    """Counts a platform's failed API calls and its rate-limit retries at the HTTP level, where
    both clients (slack_sdk, discord.py) can be observed without changing how they retry."""
    trace = aiohttp.TraceConfig()

    async def on_end(
        session: aiohttp.ClientSession, context: object, params: aiohttp.TraceRequestEndParams
    ) -> None:
        status = params.response.status
        if status == 429:
            metrics.platform_call(platform, "retry")  # both clients wait and retry a 429
        elif status >= 500:
            metrics.platform_call(platform, "error")

    async def on_exception(
        session: aiohttp.ClientSession,
        context: object,
        params: aiohttp.TraceRequestExceptionParams,
    ) -> None:
        metrics.platform_call(platform, "error")

    trace.on_request_end.append(on_end)
    trace.on_request_exception.append(on_exception)
    return trace
