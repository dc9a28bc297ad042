"""Every corpus input through every slash command of the real bolt app over signed HTTP,
and malformed requests to the endpoint itself: a clear ephemeral answer (or a 4xx), no
crash, nothing stored when refused, and nothing the fake Slack receives can ping."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from adapters.slack.slash_commands import WORKING_ON_IT
from storage import tables as t
from tests.hostile.checks import (
    check_clear,
    check_outcomes,
    slack_mentioned,
    slack_pings,
)
from tests.hostile.conftest import SlackHostile, giver, thanked
from tests.hostile.corpus import TEXT_TEMPLATES, Entry, slack_http_entries, text_entries
from tests.slack.harness import Answer, sign

pytestmark = pytest.mark.asyncio(loop_scope="module")

ENTRIES = text_entries()
HTTP_ENTRIES = slack_http_entries()
WAIT_SECONDS = 10.0


async def _late_answer(world: SlackHostile, response_id: str) -> str:
    """The answer sent through the response URL after a "working on it" ack."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            for rid, body in world.fake.responses:
                if rid == response_id and body.get("text") != WORKING_ON_IT:
                    return str(body.get("text", ""))
            await asyncio.sleep(0.01)


def _sent_since(world: SlackHostile, calls: int, responses: int) -> list[Any]:
    sent: list[Any] = [c.args for c in world.fake.calls[calls:] if c.method != "users.info"]
    return sent + [body for _, body in world.fake.responses[responses:]]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
async def test_each_command_answers_clearly_and_pings_nobody(
    slack_hostile: SlackHostile, entry: Entry
) -> None:
    world, observed = slack_hostile, slack_hostile.observed
    index = ENTRIES.index(entry)
    calls, responses = len(world.fake.calls), len(world.fake.responses)
    for template in TEXT_TEMPLATES:
        what = f"{template.name} with {entry.id}"
        user = "UADMIN" if template.admin else giver(index)
        text = template.fill(entry.text, f"<@{thanked(index)}>")
        observed.commits.changed()
        body = world.slack.command_body(f"/{template.command}", text, user, f"CH{index:04d}")

        answer = await world.command(body)

        assert answer.status == 200, f"{what}: HTTP {answer.status} {answer.text[:200]}"
        assert answer.json()["response_type"] == "ephemeral", what
        message = answer.message
        if message == WORKING_ON_IT:
            message = await _late_answer(world, world.fake.responses[-1][0])
        check_clear(message, what)
        assert not slack_pings(answer.json()), f"{what}: {answer.text[:300]}"
        if check_outcomes(observed.metrics.take(), what):
            assert not observed.commits.changed(), f"{what}: refused, yet something was stored"
    pings = slack_pings(_sent_since(world, calls, responses))
    assert not pings, f"{entry.id}: {pings[:3]}"


async def _post_raw(world: SlackHostile, entry: Entry) -> Answer:
    raw = entry.raw
    body: str = raw["body"].replace("$RESPONSE_URL", quote(world.fake.response_url(), safe=""))
    if raw.get("pad_bytes"):
        body += "x" * (raw["pad_bytes"] - len(body))
    timestamp = str(raw.get("timestamp", int(time.time()) + raw.get("timestamp_offset", 0)))
    headers = {"Content-Type": raw["content_type"]}
    if raw["signed"]:
        headers["X-Slack-Request-Timestamp"] = timestamp
        headers["X-Slack-Signature"] = raw.get("signature") or sign(body, timestamp)
    return await world.post(body, headers)


@pytest.mark.parametrize("entry", HTTP_ENTRIES, ids=[e.id for e in HTTP_ENTRIES])
async def test_malformed_requests_get_a_4xx_or_a_clear_answer(
    slack_hostile: SlackHostile, entry: Entry
) -> None:
    world, observed = slack_hostile, slack_hostile.observed
    observed.commits.changed()
    observed.metrics.take()

    answer = await _post_raw(world, entry)

    expect = entry.raw["expect"]
    assert answer.status < 500, f"{entry.id}: HTTP {answer.status} {answer.text[:200]}"
    if expect == "4xx":
        assert 400 <= answer.status < 500, f"{entry.id}: HTTP {answer.status}"
    elif expect == "2xx":
        assert 200 <= answer.status < 300, f"{entry.id}: HTTP {answer.status}"
    elif expect == "reply":
        assert answer.status == 200, f"{entry.id}: HTTP {answer.status} {answer.text[:200]}"
        check_clear(answer.message, entry.id)
    outcomes = observed.metrics.take()
    if not outcomes or check_outcomes(outcomes, entry.id):
        assert not observed.commits.changed(), f"{entry.id}: refused, yet something was stored"
    assert not slack_pings(answer.text), entry.id


async def test_nothing_sent_to_slack_pings_anyone_but_the_people_thanked(
    slack_hostile: SlackHostile,
) -> None:
    """Once everything started after the acks has gone out (thank-yous, DMs)."""
    world = slack_hostile
    async with asyncio.timeout(120):
        await world.runtime.adapter.background.idle()
    sent = _sent_since(world, 0, 0)
    assert not slack_pings(sent), slack_pings(sent)[:5]
    async with world.observed.store.engine.connect() as connection:
        thanked_ids = set(await connection.scalars(select(t.kudos_recipients.c.recipient_id)))
    assert thanked_ids, "no input was accepted: the corpus would test nothing but refusals"
    assert slack_mentioned(sent) <= thanked_ids
