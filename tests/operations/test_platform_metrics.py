"""Platform API errors and rate-limit retries show in /metrics as they happen."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from adapters.http.metrics import PrometheusMetrics
from bot import bootstrap
from tests.databases import sqlite_url
from tests.slack.fake_slack import Failure, FakeSlack
from tests.slack.harness import SlackDriver, populate, running, settings_for

RETRIES = 'smart_connections_platform_calls_total{outcome="retry",platform="slack"}'
ERRORS = 'smart_connections_platform_calls_total{outcome="error",platform="slack"}'


def value(text: str, series: str) -> float:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_a_429_and_a_5xx_from_slack_are_counted(tmp_path: Path) -> None:
    fake = FakeSlack()
    populate(fake)
    await fake.start()
    settings = settings_for(fake, sqlite_url(tmp_path))
    try:
        async with (
            bootstrap.open_store(settings, metrics=PrometheusMetrics()) as store,
            running(settings, store) as runtime,
        ):
            slack = SlackDriver(f"http://127.0.0.1:{runtime.http.port}", fake)
            fake.rate_limit_next("chat.postMessage", retry_after=0)
            fake.fail_next("conversations.open", Failure(503, {"ok": False, "error": "fatal"}))
            answer = await slack.command("/kudos", "<@UBOB> for the very careful review")
            assert answer.status == 200 and "recorded" in answer.message
            await runtime.adapter.background.close(10)  # the post and DM after the ack
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{runtime.http.port}/metrics") as r,
            ):
                text = await r.text()
    finally:
        await fake.stop()
    assert value(text, RETRIES) == 1
    assert value(text, ERRORS) >= 1
    # The public thank-you (after the 429) and the DM (after the 503) went out once each.
    assert sorted(c.args["channel"] for c in fake.posted()) == ["CGENERAL", "DUBOB"]
