"""The running Slack connection: HTTP mode (signed requests on the shared HTTP server) or
Socket Mode (a WebSocket to Slack), plus the digest poster. Built by bot.bootstrap."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp

from adapters.http.server import HttpServer
from adapters.memory import freeze_startup_objects
from adapters.slack.adapter import SlackAdapter
from adapters.slack.app import OAuthConfig, build_bolt_app
from adapters.slack.background import Background
from adapters.slack.clients import SlackClients, new_client
from adapters.slack.directory import SlackDirectory
from adapters.slack.http_routes import mount_slack
from adapters.slack.notifier import SlackNotifier
from adapters.slack.poster import SlackPoster
from adapters.slack.reactions import ReactionSettings
from adapters.slack.sender import MessageSender
from bot.logs import request_context
from bot.ports import MemberDirectory, Notifier, Poster, UnitOfWorkFactory
from bot.service import ConnectionsService
from bot.settings import Settings

log = logging.getLogger(__name__)

SOCKET_CONNECT_TIMEOUT_SECONDS = 30.0
SHUTDOWN_GRACE_SECONDS = 10.0

ServiceFactory = Callable[[MemberDirectory, Notifier], ConnectionsService]


class _TaggedSocketModeHandler(AsyncSocketModeHandler):
    """Socket Mode with a request id on every log line of each envelope's handling."""

    async def handle(self, client: Any, req: Any) -> None:
        with request_context():
            await super().handle(client, req)


class SlackRuntime:
    """A PlatformRuntime. `started` is set once it is reachable (its HTTP port is known)."""

    platform = "slack"

    def __init__(
        self,
        bolt: AsyncApp,
        adapter: SlackAdapter,
        poster: SlackPoster,
        http: HttpServer,
        clients: SlackClients,
        app_token: str | None,
        socket_connect_timeout: float = SOCKET_CONNECT_TIMEOUT_SECONDS,
        trace_configs: list[aiohttp.TraceConfig] | None = None,
    ) -> None:
        self.bolt = bolt
        self.adapter = adapter
        self.poster: Poster = poster
        self.http = http
        self.started = asyncio.Event()
        self._clients = clients
        self._app_token = app_token
        self.socket_connect_timeout = socket_connect_timeout
        self._trace_configs = trace_configs

    async def serve(self) -> None:
        socket: AsyncSocketModeHandler | None = None
        # One connection pool for every Web API call while serving.
        session = aiohttp.ClientSession(trace_configs=self._trace_configs)
        self._clients.use_session(session)
        try:
            await self.http.start()
            if self._app_token is not None:
                socket = _TaggedSocketModeHandler(self.bolt, self._app_token)
                # A rejected app token makes the client retry for ever: give up instead.
                async with asyncio.timeout(self.socket_connect_timeout):
                    await socket.connect_async()  # type: ignore[no-untyped-call]
                log.info("connected to Slack in Socket Mode")
            freeze_startup_objects()
            self.started.set()
            await asyncio.Event().wait()
        finally:
            if socket is not None:
                await socket.close_async()  # type: ignore[no-untyped-call]
            await self.http.stop()
            await self.adapter.background.close(SHUTDOWN_GRACE_SECONDS)
            self._clients.use_session(None)
            await session.close()


def build_slack_runtime(
    settings: Settings,
    uow: UnitOfWorkFactory,
    http_app: web.Application,
    build_service: ServiceFactory,
    oauth: OAuthConfig | None = None,
    trace_configs: list[aiohttp.TraceConfig] | None = None,
) -> SlackRuntime:
    socket_mode = settings.slack_app_token is not None
    signing_secret = settings.slack_signing_secret
    if not socket_mode and signing_secret is None:
        raise SystemExit(
            "Slack needs SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)."
        )
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    base_url = settings.slack_api_base_url
    if not base_url.endswith("/"):
        base_url += "/"
    client = new_client(None if oauth else token, base_url, None)
    clients = SlackClients(client, base_url, None, oauth.installations if oauth else None)
    directory = SlackDirectory(clients)
    sender = MessageSender(clients)
    background = Background()
    service = build_service(directory, SlackNotifier(sender, background))
    adapter = SlackAdapter(
        service=service,
        directory=directory,
        clients=clients,
        sender=sender,
        reactions=ReactionSettings(uow),
        background=background,
    )
    bolt = build_bolt_app(
        client,
        adapter,
        signing_secret.get_secret_value() if signing_secret else "",
        base_url,
        oauth,
    )
    if not socket_mode:
        mount_slack(http_app, bolt)
    http = HttpServer(http_app, settings.host, settings.port)
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    return SlackRuntime(
        bolt,
        adapter,
        SlackPoster(clients, sender),
        http,
        clients,
        app_token,
        trace_configs=trace_configs,
    )
