"""Resuming a paused digest looks forward: the next due time is never in the past."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.driver import Chat


async def test_resume_after_a_long_pause_schedules_the_next_week_not_a_past_one(
    chat: Chat,
) -> None:
    assert (await chat.admin("ada", "digest pause")).ok
    chat.world.clock.advance(timedelta(days=40))
    reply = await chat.admin("ada", "digest resume")
    assert reply.ok
    community = chat.community()
    assert community is not None and community.next_digest_due_at is not None
    now = chat.world.clock.now()
    assert now < community.next_digest_due_at <= now + timedelta(days=7)
