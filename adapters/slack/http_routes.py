"""Mounting bolt on the shared aiohttp app (bolt 1.30 has no aiohttp handler class)."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp

from bot.logs import request_context

EVENTS_PATH = "/slack/events"


def mount_slack(http_app: web.Application, bolt: AsyncApp) -> None:
    """`POST /slack/events` (commands, interactions, events) and, with OAuth, the install
    page and the OAuth redirect."""

    async def events(request: web.Request) -> web.Response:
        if not _timestamp_is_a_number(request):
            # Bolt's verifier would fail with a 500 (and an error log) on int("soon").
            return web.Response(status=401)
        # Every log line of this request, and of the work it starts, carries one id.
        with request_context():
            response = await bolt.async_dispatch(await to_bolt_request(request))
            return await to_aiohttp_response(response)

    http_app.router.add_post(EVENTS_PATH, events)
    flow = bolt.oauth_flow
    if flow is None:
        return

    async def install(request: web.Request) -> web.Response:
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def oauth_redirect(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    http_app.router.add_get(flow.install_path, install)
    http_app.router.add_get(flow.redirect_uri_path, oauth_redirect)


def _timestamp_is_a_number(request: web.Request) -> bool:
    timestamp = request.headers.get("X-Slack-Request-Timestamp")
    return timestamp is None or (timestamp.isascii() and timestamp.strip().isdecimal())
