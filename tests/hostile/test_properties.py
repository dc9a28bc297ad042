"""Hypothesis generates more hostile text than the corpus holds: the same promises hold for
all of it, through the console's core over SQLite and through the real Slack app."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.console.session import ConsoleSession
from adapters.slack.slash_commands import WORKING_ON_IT, parse_kudos_text
from bot.commands import GiveKudos
from tests.hostile.checks import (
    check_clear,
    check_outcomes,
    check_terminal_safe,
    slack_mentioned,
    slack_pings,
)
from tests.hostile.conftest import ConsoleWorld, SlackHostile, giver, thanked
from tests.hostile.corpus import TEXT_TEMPLATES, Template
from tests.hostile.strategies import hostile_text

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Deterministic (CI runs what a developer ran) and small enough to keep the suite fast.
FAST = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
THROUGH_THE_STORE = settings(FAST, max_examples=300)
THROUGH_SLACK = settings(FAST, max_examples=40)
# The people each generated /kudos meant to thank, for the check once all posts went out.
_INTENDED: set[str] = set()


@given(text=hostile_text, template=st.sampled_from(TEXT_TEMPLATES))
@THROUGH_THE_STORE
async def test_any_text_in_any_console_command_is_answered_and_refusals_store_nothing(
    console_world: ConsoleWorld, text: str, template: Template
) -> None:
    observed = console_world.observed
    session = ConsoleSession(
        console_world.service,
        console_world.lines.append,
        name="ada" if template.admin else "hypothesis",
        admin=template.admin,
    )
    console_world.lines.clear()
    observed.commits.changed()
    what = f"{template.name} with {text!r}"

    await session.handle_line(f"/{template.command} {template.fill(text, '@thanked')}")

    output = "\n".join(console_world.lines)
    check_clear(output, what)
    check_terminal_safe(output, what)
    if check_outcomes(observed.metrics.take(), what):
        assert not observed.commits.changed(), f"{what}: refused, yet something was stored"


@given(text=hostile_text, number=st.integers(min_value=0, max_value=400))
@THROUGH_SLACK
async def test_any_kudos_text_through_slack_is_answered_and_pings_nobody_else(
    slack_hostile: SlackHostile, text: str, number: int
) -> None:
    world, observed = slack_hostile, slack_hostile.observed
    calls = len(world.fake.calls)
    observed.commits.changed()
    kudos_text = f"<@{thanked(number)}> {text}"
    command = parse_kudos_text(kudos_text, None)
    intended = set(command.recipient_ids) if isinstance(command, GiveKudos) else set()
    body = world.slack.command_body("/kudos", kudos_text, giver(number), f"CP{number:04d}")

    answer = await world.command(body)

    assert answer.status == 200, answer.text[:200]
    if answer.message != WORKING_ON_IT:
        check_clear(answer.message, text)
    if check_outcomes(observed.metrics.take(), text):
        assert not observed.commits.changed(), f"{text!r}: refused, yet something was stored"
    _INTENDED.update(intended)
    assert not slack_pings([c.args for c in world.fake.calls[calls:]])


async def test_the_generated_kudos_pinged_only_people_they_meant_to_thank(
    slack_hostile: SlackHostile,
) -> None:
    """Once every thank-you and DM started by the examples above has gone out."""
    async with asyncio.timeout(60):
        await slack_hostile.runtime.adapter.background.idle()
    sent = [c.args for c in slack_hostile.fake.calls if c.method != "users.info"]
    sent += [body for _, body in slack_hostile.fake.responses]
    assert _INTENDED, "the examples above did not run"
    assert not slack_pings(sent)
    assert slack_mentioned(sent) <= _INTENDED
