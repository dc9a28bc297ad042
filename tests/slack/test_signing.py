"""Only requests signed with the signing secret, and recent, are served; tokens and secrets
never reach the logs."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from tests.databases import sqlite_url
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.slack.harness import SIGNING_SECRET, SlackWorld, sign, slack_world

KUDOS = "<@UBOB> for the help with the deploy"


def _headers(body: str, case: str) -> dict[str, str]:
    now = str(int(time.time()))
    stale = str(int(time.time()) - 6 * 60)
    return {
        "wrong secret": {
            "X-Slack-Request-Timestamp": now,
            "X-Slack-Signature": sign(body, now, "not-the-signing-secret"),
        },
        "signature of another body": {
            "X-Slack-Request-Timestamp": now,
            "X-Slack-Signature": sign(body.replace("UBOB", "UCAROL"), now),
        },
        "stale timestamp": {
            "X-Slack-Request-Timestamp": stale,
            "X-Slack-Signature": sign(body, stale),
        },
        "future timestamp": {
            "X-Slack-Request-Timestamp": str(int(time.time()) + 6 * 60),
            "X-Slack-Signature": sign(body, str(int(time.time()) + 6 * 60)),
        },
        "no headers": {},
        "no signature": {"X-Slack-Request-Timestamp": now},
        "no timestamp": {"X-Slack-Signature": sign(body, now)},
        "garbage timestamp": {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
    }[case]


@pytest.mark.parametrize(
    "case",
    [
        "wrong secret",
        "signature of another body",
        "stale timestamp",
        "future timestamp",
        "no headers",
        "no signature",
        "no timestamp",
        "garbage timestamp",
    ],
)
async def test_unsigned_or_stale_requests_get_401_and_store_nothing(
    world: SlackWorld, case: str
) -> None:
    body = world.slack.command_body("/kudos", KUDOS, "UALICE", "CGENERAL")

    answer = await world.slack.post(body, signed=False, headers=_headers(body, case))
    await world.settle()

    assert answer.status == 401
    assert await world.kudos_count() == 0
    assert world.fake.calls == []  # not even a users.info: nothing ran
    assert world.fake.responses == []


async def test_a_signed_request_within_five_minutes_is_served(world: SlackWorld) -> None:
    body = world.slack.command_body("/kudos", KUDOS, "UALICE", "CGENERAL")

    answer = await world.slack.post(body, timestamp=int(time.time()) - 4 * 60)

    assert answer.status == 200 and "recorded" in answer.message


async def test_tokens_and_secrets_never_reach_the_logs(
    fake_slack: FakeSlack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with slack_world(fake_slack, sqlite_url(tmp_path)) as world:
        await world.slack.command("/kudos", KUDOS)
        await world.slack.command("/connections", "export")
        body = world.slack.command_body("/kudos", KUDOS, "UALICE", "C1")
        await world.slack.post(body, signed=False, headers=_headers(body, "wrong secret"))
        fake_slack.rate_limit_next("chat.postMessage", retry_after=0)
        await world.slack.command("/kudos", "<@UCAROL> for the pairing session on the parser")
        logging.getLogger("somewhere.else").info("config: token=%s", BOT_TOKEN)
        await world.settle()

    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "Sending a request" in logged  # slack_sdk's DEBUG lines were captured
    assert BOT_TOKEN not in logged
    assert SIGNING_SECRET not in logged
    assert "xoxb-" not in logged
