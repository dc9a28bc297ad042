"""The abuse controls through Slack: `limit burst`, `recent` and `hide` as an admin types them,
and the per-minute limit as a member meets it."""

from __future__ import annotations

from tests.slack.harness import SlackWorld

REASON = "for the careful review of my migration"


async def test_the_burst_limit_stops_a_sixth_kudos_in_a_minute(world: SlackWorld) -> None:
    for n in range(5):
        answer = await world.slack.command("/kudos", f"<@UBOB> {REASON} ({n})", channel=f"C{n}")
        assert "is recorded" in answer.message

    refused = await world.slack.command("/kudos", f"<@UCAROL> {REASON}", channel="C9")

    assert "5 kudos in the last minute" in refused.message
    assert refused.json()["response_type"] == "ephemeral"
    assert await world.kudos_count() == 5


async def test_an_admin_sets_the_burst_limit(world: SlackWorld) -> None:
    refused = await world.slack.command("/connections", "admin limit burst 0", user="UBOB")
    answer = await world.slack.command("/connections", "admin limit burst 0", user="UADMIN")

    assert "only admins" in refused.message
    assert "per-minute kudos limit is off" in answer.message
    community = await world.community()
    assert community is not None and community.burst_kudos_limit == 0


async def test_an_admin_finds_a_kudos_number_and_hides_it(world: SlackWorld) -> None:
    await world.slack.command("/kudos", f"<@UBOB> {REASON}")
    await world.slack.command("/kudos", "<@UCAROL> buy my course at <http://spam.example>")

    recent = await world.slack.command("/connections", "admin recent", user="UADMIN")
    hidden = await world.slack.command("/connections", "admin hide 2", user="UADMIN")
    refused = await world.slack.command("/connections", "admin hide 1", user="UBOB")

    lines = recent.message.splitlines()
    assert lines[1].startswith("#2 ") and "Alice → Carol: buy my course" in lines[1]
    assert lines[2].startswith("#1 ") and f"Alice → Bob: {REASON}" in lines[2]
    assert "Kudos #2 is hidden from digests" in hidden.message
    assert "only admins" in refused.message
    assert [k.hidden for k in await world.kudos()] == [False, True]
