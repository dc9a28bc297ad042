"""/connections admin ...: authority, audit, digest settings, prompts, limits, admins, stats."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot import commands as c
from bot.domain import Actor, Community
from bot.handlers.context import Ports
from bot.replies import Reply
from tests.fakes import FakeWorld
from tests.unit.driver import Chat, assert_refused

PROMPT = "Review a pull request you were not asked to review"

ADMIN_TEXTS = [
    "digest channel #general",
    "digest schedule mon 09:00 Europe/Berlin",
    "digest pause",
    "digest resume",
    "digest preview",
    "digest now",
    f"prompt add {PROMPT}",
    "prompt list",
    "prompts",
    "prompt remove 1",
    "limit daily 3",
    "limit reason 15",
    "stats",
    "grant @bob",
    "revoke @carol",
]


@pytest.mark.parametrize("text", ADMIN_TEXTS)
async def test_a_member_who_is_not_an_admin_is_refused_politely(
    chat: Chat, world: FakeWorld, text: str
) -> None:
    digest_calls: list[c.Command] = []

    async def digest_feature(ports: Ports, actor: Actor, command: c.Command) -> Reply:
        digest_calls.append(command)
        return Reply(text="the digest")

    chat.service.register(c.PreviewDigest, digest_feature)
    chat.service.register(c.SendDigestNow, digest_feature)
    assert (await chat.admin("ada", f"prompt add {PROMPT}")).ok
    assert (await chat.admin("ada", "grant @carol")).ok
    state_before = world.store.state.copy()

    reply = await chat.admin("bob", text)

    assert_refused(reply, "only admins", "/connections help")
    assert world.store.state == state_before
    assert digest_calls == []


async def test_admin_help_is_open_to_everyone(chat: Chat) -> None:
    reply = await chat.admin("bob", "")

    assert reply.ok and "/connections admin stats" in reply.text


@pytest.mark.parametrize(
    ("setup", "text", "action", "detail"),
    [
        ("", "digest channel #general", "digest.channel", "general"),
        (
            "",
            "digest schedule fri 16:30 Europe/Berlin",
            "digest.schedule",
            "fri 16:30 Europe/Berlin",
        ),
        ("", "digest pause", "digest.pause", ""),
        ("digest pause", "digest resume", "digest.resume", ""),
        ("", f"prompt add {PROMPT}", "prompt.add", f"#1 {PROMPT}"),
        (f"prompt add {PROMPT}", "prompt remove 1", "prompt.remove", "#1"),
        ("", "limit daily 3", "limit.daily", "3"),
        ("", "limit reason 15", "limit.reason", "15"),
        ("", "grant @bob", "admin.grant", "bob"),
        ("grant @bob", "revoke @bob", "admin.revoke", "bob"),
    ],
)
async def test_every_admin_change_is_audited(
    chat: Chat, world: FakeWorld, setup: str, text: str, action: str, detail: str
) -> None:
    if setup:
        assert (await chat.admin("ada", setup)).ok
    world.clock.advance(minutes=1)
    audited = len(chat.audit())

    reply = await chat.admin("ada", text)

    assert reply.ok, reply.text
    [entry] = chat.audit()[audited:]
    assert (entry.actor_id, entry.action, entry.detail) == ("ada", action, detail)
    assert entry.created_at == world.clock.now()


@pytest.mark.parametrize("text", ["prompt list", "stats"])
async def test_looking_is_not_audited(chat: Chat, text: str) -> None:
    assert (await chat.admin("ada", text)).ok
    assert chat.audit() == []


async def test_the_digest_channel_is_set(chat: Chat) -> None:
    reply = await chat.admin("ada", "digest channel #team-news")

    assert reply.ok and "team-news" in reply.text
    community = chat.community()
    assert community is not None and community.digest_channel == "team-news"


@pytest.mark.parametrize(
    "text", ["digest channel", "digest channel #two words", "digest channel #nö!", "digest"]
)
async def test_a_bad_channel_is_refused(chat: Chat, text: str) -> None:
    assert_refused(await chat.admin("ada", text))
    assert chat.community() is None and chat.audit() == []


async def test_the_schedule_is_set_in_the_communitys_time_zone(
    chat: Chat, world: FakeWorld
) -> None:
    world.clock.set(datetime(2025, 3, 3, 12, 0, tzinfo=UTC))  # Monday

    reply = await chat.admin("ada", "digest schedule WED 9:05 America/New_York")

    assert reply.ok
    assert "Wed 09:05 America/New_York" in reply.text
    assert "Next one: Wed 05 Mar 09:05 EST" in reply.text
    community = chat.community()
    assert community is not None
    assert (community.digest_weekday, community.digest_time) == (2, "09:05")
    assert community.timezone == "America/New_York"
    assert community.next_digest_due_at == datetime(2025, 3, 5, 14, 5, tzinfo=UTC)


async def test_a_schedule_without_a_time_zone_keeps_the_current_one(
    chat: Chat, world: FakeWorld
) -> None:
    assert (await chat.admin("ada", "digest schedule wed 09:00 Asia/Tokyo")).ok

    reply = await chat.admin("ada", "digest schedule friday 18:00")

    assert reply.ok and "Asia/Tokyo" in reply.text
    community = chat.community()
    assert community is not None and community.timezone == "Asia/Tokyo"
    assert community.digest_weekday == 4


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("digest schedule funday 09:00 UTC", ["mon, tue"]),
        ("digest schedule 1 09:00 UTC", ["mon, tue"]),
        ("digest schedule mon 25:00 UTC", ["HH:MM", "09:00"]),
        ("digest schedule mon 09:60 UTC", ["HH:MM"]),
        ("digest schedule mon 9am UTC", ["HH:MM"]),
        ("digest schedule mon 0900 UTC", ["HH:MM"]),
        ("digest schedule mon 09:00:00 UTC", ["HH:MM"]),
        ("digest schedule mon -1:00 UTC", ["HH:MM"]),
        ("digest schedule mon ²:00 UTC", ["HH:MM"]),
        ("digest schedule mon ０９:００ UTC", ["HH:MM"]),
        ("digest schedule mon 09:00 Mars/Olympus_Mons", ["time zone", "Europe/Berlin"]),
        ("digest schedule mon 09:00 Europe/Berln", ["time zone"]),
        ("digest schedule mon 09:00 ../../../etc/passwd", ["time zone"]),
        ("digest schedule mon 09:00 /etc/localtime", ["time zone"]),
        ("digest schedule mon 09:00 " + "Z" * 100_000, ["time zone"]),
        ("digest schedule mon 09:00 UTC\u202e", ["time zone"]),
        ("digest schedule mon", ["schedule mon 09:00"]),
        ("digest schedule mon 09:00 UTC please", ["schedule mon 09:00"]),
    ],
)
async def test_a_bad_schedule_is_refused_and_nothing_changes(
    chat: Chat, text: str, phrases: list[str]
) -> None:
    assert (await chat.admin("ada", "digest schedule tue 10:00 Europe/Berlin")).ok
    before = chat.community()

    assert_refused(await chat.admin("ada", text), *phrases)

    assert chat.community() == before
    assert len(chat.audit()) == 1


async def test_pause_and_resume(chat: Chat) -> None:
    paused = await chat.admin("ada", "digest pause")

    assert paused.ok and "digest resume" in paused.text
    community = chat.community()
    assert community is not None and community.paused

    resumed = await chat.admin("ada", "digest resume")
    assert resumed.ok and "back on" in resumed.text and "Mon 09:00 UTC" in resumed.text
    community = chat.community()
    assert community is not None and not community.paused


async def test_prompts_are_added_listed_and_removed(chat: Chat) -> None:
    empty = await chat.admin("ada", "prompt list")
    assert empty.ok and "built-in" in empty.text

    added = await chat.admin("ada", f"prompt add   {PROMPT}  ")
    assert added.ok and "#1" in added.text and PROMPT in added.text
    assert (await chat.admin("ada", "prompt add Thank someone 🎉 who helped quietly")).ok

    listing = await chat.admin("ada", "prompts")
    assert listing.text.splitlines()[1:] == [
        f"#1 {PROMPT}",
        "#2 Thank someone 🎉 who helped quietly",
    ]

    removed = await chat.admin("ada", "prompt remove #1")
    assert removed.ok and "#1" in removed.text
    assert [p.id for p in chat.prompts()] == [2]
    assert f"#1 {PROMPT}" not in (await chat.admin("ada", "prompt list")).text
    assert_refused(await chat.admin("ada", "prompt remove 1"), "no prompt #1")


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("prompt add", ["prompt add Review"]),
        ("prompt add   \t ", ["prompt add Review"]),
        ("prompt add hi", ["prompt add Review"]),
        ("prompt add " + "\u200b\u202e" * 40, ["prompt add Review"]),
        ("prompt add " + "p" * 301, ["under 300"]),
        ("prompt add " + "p " * 50_000, ["under 300"]),
        (f"prompt add {PROMPT.upper()}", ["already in the list"]),
        ("prompt remove", ["which prompt"]),
        ("prompt remove three", ["which prompt"]),
        ("prompt remove ²", ["which prompt"]),
        ("prompt remove 99", ["no prompt #99"]),
        ("prompt rename 1", ["add <text>"]),
        ("prompt list all", ["add <text>"]),
    ],
)
async def test_bad_prompt_commands_are_refused(chat: Chat, text: str, phrases: list[str]) -> None:
    assert (await chat.admin("ada", f"prompt add {PROMPT}")).ok

    assert_refused(await chat.admin("ada", text), *phrases)
    assert [p.text for p in chat.prompts()] == [PROMPT]
    assert len(chat.audit()) == 1


async def test_at_most_fifty_prompts(chat: Chat) -> None:
    for i in range(50):
        assert (await chat.admin("ada", f"prompt add {PROMPT}, variant {i}")).ok

    assert_refused(await chat.admin("ada", f"prompt add {PROMPT}, one more"), "already 50")
    assert len(chat.prompts()) == 50


async def test_a_prompt_of_another_community_cannot_be_removed(world: FakeWorld) -> None:
    here, there = Chat(world, "console:here"), Chat(world, "console:there")
    assert (await here.admin("ada", f"prompt add {PROMPT}")).ok

    assert_refused(await there.admin("ada", "prompt remove 1"), "no prompt #1")
    assert len(here.prompts()) == 1
    assert "No prompts" in (await there.admin("ada", "prompt list")).text


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("limit daily 1001", ["between 0 and 1000"]),
        ("limit reason 0", ["between 1 and 500"]),
        ("limit reason 501", ["between 1 and 500"]),
        ("limit daily -1", ["limit daily 10"]),
        ("limit daily ten", ["limit daily 10"]),
        ("limit daily ²", ["limit daily 10"]),
        ("limit daily 1234567", ["limit daily 10"]),
        ("limit weekly 3", ["limit daily 10"]),
        ("limit daily", ["admin command"]),
        ("limit daily 3 4", ["admin command"]),
    ],
)
async def test_bad_limits_are_refused(chat: Chat, text: str, phrases: list[str]) -> None:
    assert_refused(await chat.admin("ada", text), *phrases)
    community = chat.community()
    assert community is None or (community.daily_kudos_limit, community.min_reason_length) == (
        10,
        10,
    )
    assert chat.audit() == []


async def test_limits_are_saved(chat: Chat) -> None:
    assert "up to 4 kudos a day" in (await chat.admin("ada", "LIMIT DAILY 4")).text
    assert "at least 20 characters" in (await chat.admin("ada", "limit reason 20")).text
    community = chat.community()
    assert community is not None
    assert (community.daily_kudos_limit, community.min_reason_length) == (4, 20)


async def test_a_named_admin_is_granted_and_revoked(chat: Chat) -> None:
    assert_refused(await chat.admin("bob", "stats"), "only admins")

    granted = await chat.admin("ada", "grant @bob")
    assert granted.ok and "Bob can now use the admin commands" in granted.text
    assert (await chat.admin("bob", "stats")).ok
    assert (await chat.admin("bob", "grant @carol")).ok  # a named admin can name others
    assert (await chat.admin("carol", "limit daily 5")).ok

    revoked = await chat.admin("ada", "revoke @bob")
    assert revoked.ok and "no longer" in revoked.text
    assert_refused(await chat.admin("bob", "stats"), "only admins")
    assert (await chat.admin("carol", "stats")).ok


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("grant @helperbot", ["name a member"]),
        ("grant @nobody", ["name a member"]),
        ("grant bob", ["whom?", "grant @alice"]),
        ("revoke", ["admin command"]),
        ("grant @bob @carol", ["admin command"]),
    ],
)
async def test_granting_to_a_bot_or_a_stranger_is_refused(
    chat: Chat, text: str, phrases: list[str]
) -> None:
    assert_refused(await chat.admin("ada", text), *phrases)
    assert chat.audit() == []
    assert all(not m.is_admin for m in chat.world.store.state.members.values())


async def test_a_named_admin_cannot_revoke_themself(chat: Chat) -> None:
    assert (await chat.admin("ada", "grant @bob")).ok

    assert_refused(await chat.admin("bob", "revoke @bob"), "your own admin rights")
    assert (await chat.admin("bob", "stats")).ok


async def test_admin_commands_ask_to_retry_when_the_store_is_down(
    chat: Chat, world: FakeWorld
) -> None:
    world.store.unavailable = True

    assert_refused(await chat.admin("ada", "limit daily 3"), "try again")


def stats_rows(text: str) -> list[list[str]]:
    return [line.split(" · ") for line in text.splitlines()[1:]]


async def test_stats_show_eight_weeks_even_when_quiet(chat: Chat, world: FakeWorld) -> None:
    reply = await chat.admin("ada", "stats")

    assert reply.ok
    assert "8 weeks" in reply.text.splitlines()[0]
    rows = stats_rows(reply.text)
    assert len(rows) == 8
    assert all(row[1:] == ["0", "0", "–", "–"] for row in rows)
    first = world.clock.now() - timedelta(days=56)
    assert rows[0][0] == first.strftime("%d %b")
    assert rows[-1][0] == (world.clock.now() - timedelta(days=7)).strftime("%d %b")


async def test_a_thank_you_returned_within_two_weeks_is_not_one_way(
    chat: Chat, world: FakeWorld
) -> None:
    start = world.clock.now()
    assert (await chat.kudos("bob", "@alice for the on-call handover #unprompted")).ok
    world.clock.advance(days=3)
    assert (await chat.kudos("alice", "@bob for the careful review back")).ok
    world.clock.advance(days=1)
    assert (await chat.kudos("carol", "@dave for the conference talk tips")).ok
    world.clock.set(start + timedelta(days=7))

    rows = stats_rows((await chat.admin("ada", "stats")).text)

    # bob→alice and carol→dave are one-way; alice→bob answers bob's thanks.
    assert rows[-1][1:] == ["3", "3", "67%", "33%"]
    assert all(row[1] == "0" for row in rows[:-1])


async def test_a_thank_you_returned_after_two_weeks_is_one_way(
    chat: Chat, world: FakeWorld
) -> None:
    assert (await chat.kudos("bob", "@alice @carol for the on-call handover")).ok
    world.clock.advance(days=15)
    assert (await chat.kudos("alice", "@bob for the careful review back")).ok
    world.clock.advance(hours=1)

    rows = stats_rows((await chat.admin("ada", "stats")).text)

    assert rows[-1][1:] == ["1", "1", "100%", "0%"]
    assert rows[-3][1:] == ["1", "1", "100%", "0%"]


async def test_only_the_receiver_thanking_the_giver_first_makes_it_two_way(
    chat: Chat, world: FakeWorld
) -> None:
    start = world.clock.now()
    assert (await chat.kudos("bob", "@alice @carol for the on-call handover")).ok
    world.clock.advance(days=1)
    assert (await chat.kudos("alice", "@bob for the careful review back")).ok
    world.clock.advance(days=1)
    assert (await chat.kudos("dave", "@alice for the demo day setup")).ok  # not returned
    world.clock.set(start + timedelta(days=7))

    rows = stats_rows((await chat.admin("ada", "stats")).text)

    # pairs: bob→alice, bob→carol, alice→bob (returned), dave→alice: 3 of 4 one-way.
    assert rows[-1][1:] == ["3", "3", "75%", "0%"]


async def test_stats_leave_out_other_communities(world: FakeWorld) -> None:
    here, there = Chat(world, "console:here"), Chat(world, "console:there")
    assert (await there.kudos("bob", "@alice for the on-call handover")).ok
    world.clock.advance(hours=1)

    rows = stats_rows((await here.admin("ada", "stats")).text)

    assert all(row[1] == "0" for row in rows)


async def test_a_community_is_created_with_the_defaults_on_first_contact(
    chat: Chat, world: FakeWorld
) -> None:
    assert (await chat.kudos("alice", "@bob for the careful review")).ok

    community = chat.community()
    assert community is not None
    assert replace(community, next_digest_due_at=None) == Community(id=chat.community_id)
    assert community.next_digest_due_at == datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
