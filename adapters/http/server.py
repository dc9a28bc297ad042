"""One aiohttp application for everything served over HTTP.

`build_http_app` creates it with `GET /healthz`; platform adapters add their routes (Slack's
`POST /slack/events`) before `HttpServer` starts it. Later endpoints (metrics, readiness) are
added the same way, so this module stays small.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from bot.digest.model import Digest, PostKey
from bot.domain import Community
from bot.ports import Poster

log = logging.getLogger(__name__)

# A check returns when the dependency is fine and raises when it is not.
HealthCheck = Callable[[], Awaitable[None]]

HEALTH_TIMEOUT_SECONDS = 3.0
# On shutdown, requests already being handled get this long to finish.
SHUTDOWN_TIMEOUT_SECONDS = 5.0
# Slack payloads are a few KiB; nothing we accept comes close to this.
MAX_REQUEST_BYTES = 1024 * 1024


def build_http_app(
    checks: Mapping[str, HealthCheck], ready: Mapping[str, HealthCheck] | None = None
) -> web.Application:
    """`/healthz` (liveness: `checks`) and `/readyz` (readiness: `checks` and `ready`, e.g.
    migrations current, so a replica takes traffic only once it can serve it)."""
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app.router.add_get("/healthz", _health_handler(dict(checks)))
    app.router.add_get("/readyz", _health_handler({**checks, **(ready or {})}))
    return app


def _health_handler(
    checks: dict[str, HealthCheck],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def healthz(request: web.Request) -> web.Response:
        results = {name: await _run_check(name, check) for name, check in checks.items()}
        healthy = all(result == "ok" for result in results.values())
        body = {"status": "ok" if healthy else "unavailable", "checks": results}
        return web.json_response(body, status=200 if healthy else 503)

    return healthz


async def _run_check(name: str, check: HealthCheck) -> str:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            await check()
    except Exception:  # any failure is "unhealthy"; the details go to the log, not the wire
        log.warning("health check %r failed", name, exc_info=True)
        return "failing"
    return "ok"


class HttpServer:
    """Serves an application on host:port; port 0 picks a free one (see `port` once started)."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        # Access logs would add a line per Slack request and show OAuth codes in query strings.
        runner = web.AppRunner(
            self.app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound = runner.addresses[0]
        self.port = int(bound[1])
        log.info("HTTP server listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def serve(self, started: asyncio.Event | None = None) -> None:
        """Start, then serve until cancelled."""
        await self.start()
        try:
            if started is not None:
                started.set()
            await asyncio.Event().wait()
        finally:
            await self.stop()


class HttpRuntime:
    """The HTTP server alone, as a runtime, for when no platform serves HTTP (Discord only)."""

    platform = "http"

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.poster: Poster = _NoPoster()

    async def serve(self) -> None:
        await self.server.serve()


class _NoPoster:
    async def post_digest(self, community: Community, digest: Digest, key: PostKey) -> None:
        raise RuntimeError("the HTTP server posts no digests")

    async def find_digest(self, community: Community, key: PostKey) -> bool:
        return False
