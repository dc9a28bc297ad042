"""Mounting bolt on the shared aiohttp app (bolt 1.30 has no aiohttp handler class)."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp

from adapters.slack.payload_shapes import malformed
from bot.logs import request_context

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def mount_slack(http_app: web.Application, bolt: AsyncApp) -> None:
    """`POST /slack/events` (commands, interactions, events) and, with OAuth, the install
    page and the OAuth redirect."""

    async def events(request: web.Request) -> web.Response:
        if not _headers_are_ascii_numbers(request):
            # Bolt's verifier would fail with a 500 (and an error log) on int("soon") or on
            # comparing a non-ASCII signature.
            return web.Response(status=401)
        # Every log line of this request, and of the work it starts, carries one id.
        with request_context():
            try:
                bolt_request = await to_bolt_request(request)
            except (ValueError, TypeError, AttributeError, RecursionError) as exc:
                # Bolt parses the body before checking anything: not JSON, not a form, or
                # JSON that is not an object. Nothing Slack sends.
                log.warning("refused a Slack request that does not parse (%s)", type(exc).__name__)
                return web.Response(status=400)
            why = malformed(bolt_request.body)
            if why is not None:
                log.warning("refused a malformed Slack request: %s", why)
                return web.Response(status=400)
            response = await bolt.async_dispatch(bolt_request)
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


def _headers_are_ascii_numbers(request: web.Request) -> bool:
    timestamp = request.headers.get("X-Slack-Request-Timestamp")
    signature = request.headers.get("X-Slack-Signature", "")
    if not signature.isascii():
        return False
    return timestamp is None or (
        timestamp.isascii() and timestamp.strip().isdecimal() and len(timestamp) <= 12
    )
