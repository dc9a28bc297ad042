"""Abuse controls in the core: the per-minute (burst) limit, reasons in words, and an admin
hiding a kudos from digests (with the list of recent kudos that shows its number)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import commands as c
from bot.parsing import CONSOLE_SYNTAX, parse_connections
from tests.fakes import FakeWorld
from tests.unit.driver import Chat, assert_refused

REASON = "for untangling the release script"


async def test_five_kudos_a_minute_then_a_pause(chat: Chat, world: FakeWorld) -> None:
    for i in range(5):
        assert (await chat.kudos("alice", f"@bob {REASON}, part {i}")).ok
        world.clock.advance(seconds=10)

    refused = await chat.kudos("alice", f"@carol {REASON}")

    assert_refused(refused, "5 kudos in the last minute", "try again in a minute")
    assert len(chat.stored_kudos()) == 5
    # Someone else's limit is their own.
    assert (await chat.kudos("carol", f"@bob {REASON}")).ok
    # A minute after the first one, there is room for one more.
    world.clock.advance(seconds=11)
    assert (await chat.kudos("alice", f"@carol {REASON}")).ok


async def test_an_admin_sets_the_burst_limit_and_zero_turns_it_off(
    chat: Chat, world: FakeWorld
) -> None:
    reply = await chat.admin("ada", "limit burst 2")
    assert reply.ok and "2 kudos a minute" in reply.text
    for _ in range(2):
        assert (await chat.kudos("alice", f"@bob {REASON}")).ok
    assert_refused(await chat.kudos("alice", f"@bob {REASON}"), "2 kudos in the last minute")

    reply = await chat.admin("ada", "limit burst 0")

    assert reply.ok and "off" in reply.text
    for _ in range(8):
        assert (await chat.kudos("alice", f"@bob {REASON}")).ok
    assert len(chat.stored_kudos()) == 10
    community = chat.community()
    assert community is not None and community.burst_kudos_limit == 0
    assert [(a.action, a.detail) for a in chat.audit()] == [
        ("limit.burst", "2"),
        ("limit.burst", "0"),
    ]


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("limit burst 101", "between 0 and 100"),
        ("limit burst -1", "limit burst 5"),
        ("limit burst five", "limit burst 5"),
        ("limit burst", "see /connections help"),
        ("limit burst 1 2", "see /connections help"),
    ],
)
async def test_a_bad_burst_limit_is_refused(chat: Chat, text: str, phrase: str) -> None:
    assert_refused(await chat.admin("ada", text), phrase)
    assert chat.community() is None and chat.audit() == []


async def test_only_admins_set_the_burst_limit(chat: Chat) -> None:
    assert_refused(await chat.admin("bob", "limit burst 0"), "only admins")
    assert chat.community() is None


@pytest.mark.parametrize(
    "reason",
    [
        "🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉",
        ":tada::tada::tada::raised_hands:",
        "!!!!!!!!!!!! ?!",
        "🙏🏽 🙏🏽 🙏🏽 🙏🏽 🙏🏽",
    ],
)
async def test_a_reason_without_words_is_refused(chat: Chat, world: FakeWorld, reason: str) -> None:
    reply = await chat.kudos("alice", f"@bob {reason}")

    assert_refused(reply, "in words", "emoji or symbols")
    assert chat.stored_kudos() == [] and world.notifier.calls == []


@pytest.mark.parametrize("reason", ["🎉 for the great release 🎉", ":tada: shipped it, thank you!"])
async def test_emoji_beside_words_are_welcome(chat: Chat, reason: str) -> None:
    assert (await chat.kudos("alice", f"@bob {reason}")).ok


async def give(chat: Chat, world: FakeWorld, *texts: str) -> None:
    for text in texts:
        giver, _, rest = text.partition(" ")
        assert (await chat.kudos(giver, rest)).ok, text
        world.clock.advance(minutes=5)


async def test_recent_lists_the_latest_kudos_with_their_numbers(
    chat: Chat, world: FakeWorld
) -> None:
    await give(
        chat,
        world,
        f"alice @bob {REASON}",
        "bob @carol @dave for pairing on the flaky test",
        "carol @alice " + "for a very long story " * 10,
    )

    reply = await chat.admin("ada", "recent")

    assert reply.ok
    lines = reply.text.splitlines()
    assert "The latest 3 kudos" in lines[0] and "/connections admin hide" in lines[0]
    assert lines[1].startswith("#3 03 Mar 12:10 Carol → Alice: for a very long story")
    assert lines[1].endswith("…") and len(lines[1]) < 140
    assert lines[2] == "#2 03 Mar 12:05 Bob → Carol and Dave: for pairing on the flaky test"
    assert lines[3] == f"#1 03 Mar 12:00 Alice → Bob: {REASON}"
    assert chat.audit() == []  # looking is not audited


async def test_recent_shows_at_most_twenty_and_says_so_when_there_are_none(
    chat: Chat, world: FakeWorld
) -> None:
    assert (await chat.admin("ada", "recent")).text == "No kudos yet in this community."
    assert (await chat.admin("ada", "limit daily 0")).ok
    await give(chat, world, *[f"alice @bob {REASON} #{i}" for i in range(25)])

    lines = (await chat.admin("ada", "recent")).text.splitlines()

    assert len(lines) == 21 and lines[1].startswith("#25 ") and lines[-1].startswith("#6 ")


async def test_an_admin_hides_a_kudos_and_shows_it_again(chat: Chat, world: FakeWorld) -> None:
    await give(chat, world, f"alice @bob {REASON}", "bob @carol for pairing on the flaky test")

    hidden = await chat.admin("ada", "hide 1")

    assert hidden.ok and "Kudos #1 is hidden from digests" in hidden.text
    assert "unhide 1" in hidden.text
    assert [k.hidden for k in chat.stored_kudos()] == [True, False]
    assert "[hidden from digests]" in (await chat.admin("ada", "recent")).text.splitlines()[2]
    again = await chat.admin("ada", "hide 1")
    assert again.ok and "already hidden" in again.text

    shown = await chat.admin("ada", "unhide 1")

    assert shown.ok and "shown in digests again" in shown.text
    assert [k.hidden for k in chat.stored_kudos()] == [False, False]
    assert [(a.actor_id, a.action, a.detail) for a in chat.audit()] == [
        ("ada", "kudos.hide", "#1"),
        ("ada", "kudos.unhide", "#1"),
    ]
    # The giver and the person thanked still see it.
    assert REASON in (await chat.connections("bob", "me")).text


async def test_hiding_an_unknown_kudos_or_another_communitys_is_refused(
    world: FakeWorld,
) -> None:
    elsewhere = Chat(world, "console:elsewhere")
    here = Chat(world)
    assert (await elsewhere.kudos("alice", f"@bob {REASON}")).ok

    for text in ("hide 1", "hide 99", "unhide 1"):
        assert_refused(await here.admin("ada", text), "no kudos #", "/connections admin recent")

    assert [k.hidden for k in elsewhere.stored_kudos()] == [False]
    assert here.audit() == [] and elsewhere.audit() == []
    assert (await here.admin("ada", "recent")).text == "No kudos yet in this community."


@pytest.mark.parametrize("text", ["hide", "hide 0", "hide -3", "hide abc", "hide 1 2", "unhide ²"])
async def test_a_bad_kudos_number_is_refused(chat: Chat, text: str) -> None:
    assert_refused(await chat.admin("ada", text), "which kudos", "/connections admin recent")


@pytest.mark.parametrize("text", ["hide 1", "unhide 1", "recent"])
async def test_only_admins_see_recent_kudos_and_hide_them(
    chat: Chat, world: FakeWorld, text: str
) -> None:
    await give(chat, world, f"alice @bob {REASON}")

    assert_refused(await chat.admin("bob", text), "only admins")
    assert [k.hidden for k in chat.stored_kudos()] == [False] and chat.audit() == []


def test_the_grammar() -> None:
    def parse(text: str) -> c.Command:
        return parse_connections(f"admin {text}", CONSOLE_SYNTAX)

    assert parse("limit burst 5") == c.SetLimit(kind="burst", value=5)
    assert parse("HIDE #12") == c.HideKudos(12, hidden=True)
    assert parse("unhide 12") == c.HideKudos(12, hidden=False)
    assert parse("recent") == c.ListRecentKudos()
    assert isinstance(parse("recent 5"), c.Invalid)


async def test_the_burst_window_is_one_minute(chat: Chat, world: FakeWorld) -> None:
    assert (await chat.admin("ada", "limit burst 1")).ok
    assert (await chat.kudos("alice", f"@bob {REASON}")).ok
    world.clock.advance(timedelta(seconds=59))
    assert_refused(await chat.kudos("alice", f"@bob {REASON}"), "1 kudos in the last minute")
    world.clock.advance(timedelta(seconds=2))
    assert (await chat.kudos("alice", f"@bob {REASON}")).ok
