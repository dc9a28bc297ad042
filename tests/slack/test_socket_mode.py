"""Socket Mode: the same app over a WebSocket that the fake Slack hands out."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qsl

import aiohttp
import pytest

from bot import bootstrap
from tests.databases import sqlite_url
from tests.slack.fake_slack import APP_TOKEN, FakeSlack
from tests.slack.harness import settings_for, slack_world


async def test_a_slash_command_arrives_through_the_websocket_and_is_acked(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with slack_world(
        fake_slack, sqlite_url(tmp_path), slack_app_token=APP_TOKEN, slack_signing_secret=None
    ) as world:
        await fake_slack.socket_connected()
        body = world.slack.command_body("/kudos", "<@UBOB> for the pairing session", "UALICE", "C1")

        await fake_slack.socket_send(
            {
                "envelope_id": "envelope-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": dict(parse_qsl(body)),
            }
        )
        ack = await fake_slack.socket_ack("envelope-1")
        await world.settle()

        assert "Your thanks to Bob is recorded" in ack["payload"]["text"]
        assert await world.kudos_count() == 1
        # No signed-request endpoint in Socket Mode; the health check is still served.
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            async with http.post(f"{world.slack.url}/slack/events", data=body) as events:
                assert events.status in (404, 405)
            async with http.get(f"{world.slack.url}/healthz") as health:
                assert health.status == 200


async def test_a_rejected_app_token_stops_instead_of_retrying_for_ever(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    settings = settings_for(
        fake_slack,
        sqlite_url(tmp_path),
        slack_app_token="xapp-1-A111-0000-revoked",
        slack_signing_secret=None,
    )
    async with bootstrap.open_store(settings) as store:
        runtime = await bootstrap._slack_runtime(settings, store)
        runtime.socket_connect_timeout = 0.5  # type: ignore[attr-defined]

        with pytest.raises(TimeoutError):
            async with asyncio.timeout(10):
                await runtime.serve()

    assert fake_slack.calls_to("apps.connections.open")


async def test_slack_needs_a_signing_secret_or_an_app_token(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    settings = settings_for(fake_slack, sqlite_url(tmp_path), slack_signing_secret=None)
    async with bootstrap.open_store(settings) as store:
        with pytest.raises(SystemExit, match="SLACK_SIGNING_SECRET"):
            await bootstrap._slack_runtime(settings, store)
