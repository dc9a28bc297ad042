"""/kudos: what is recorded, and every rule that refuses a thank-you."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes import FakeDeliveryRepository, FakeWorld
from tests.unit.driver import PEOPLE, Chat, assert_refused

REASON = "for untangling the release script"


async def test_kudos_is_recorded_announced_and_the_recipients_told(
    chat: Chat, world: FakeWorld
) -> None:
    reply = await chat.kudos("alice", f"@bob @carol {REASON} #teamwork #unprompted")

    assert reply.ok
    assert "Bob and Carol" in reply.text and "without being asked" in reply.text
    [kudos] = chat.stored_kudos()
    assert kudos.giver_id == "alice"
    assert kudos.recipient_ids == ("bob", "carol")
    assert kudos.reason == REASON
    assert kudos.tags == ("teamwork",)
    assert kudos.unprompted
    assert kudos.created_at == world.clock.now()
    assert reply.announcement is not None
    assert reply.announcement.recipient_ids == ("bob", "carol")
    assert reply.announcement.recipient_names == ("Bob", "Carol")
    assert [(n.kudos.id, n.giver_name) for n in world.notifier.calls] == [(kudos.id, "Alice")]
    giver, recipient = chat.member("alice"), chat.member("bob")
    assert giver is not None and giver.first_seen_at == world.clock.now()
    assert recipient is not None and recipient.display_name == "Bob"


async def test_the_same_person_named_twice_is_thanked_once(chat: Chat) -> None:
    reply = await chat.kudos("alice", f"@bob @bob {REASON}")

    assert reply.ok
    assert [k.recipient_ids for k in chat.stored_kudos()] == [("bob",)]


async def test_values_are_lower_cased_and_counted_once(chat: Chat) -> None:
    reply = await chat.kudos("alice", f"@bob {REASON} #TeamWork #teamwork #a #b #c #d #Unprompted")

    assert reply.ok
    [kudos] = chat.stored_kudos()
    assert kudos.tags == ("teamwork", "a", "b", "c", "d")
    assert kudos.unprompted


async def test_ten_recipients_and_a_reason_of_exactly_the_minimum_are_accepted(
    chat: Chat,
) -> None:
    mentions = " ".join(f"@{p}" for p in PEOPLE[1:11])

    reply = await chat.kudos("alice", f"{mentions} 0123456789")

    assert reply.ok, reply.text
    assert len(chat.stored_kudos()[0].recipient_ids) == 10


REFUSALS = [
    pytest.param(f"thanks {REASON}", ["who would you like to thank"], id="nobody"),
    pytest.param(f"@alice {REASON}", ["yourself"], id="yourself"),
    pytest.param(f"@bob @alice {REASON}", ["yourself"], id="yourself-among-others"),
    pytest.param(f"@helperbot {REASON}", ["Helper Bot", "bot"], id="a-bot"),
    pytest.param(f"@bob @nobody {REASON}", ["couldn't find"], id="unknown-member"),
    pytest.param(f"@everyone {REASON}", ["couldn't find"], id="at-everyone"),
    pytest.param(f"@here {REASON}", ["couldn't find"], id="at-here"),
    pytest.param(
        " ".join(f"@{p}" for p in PEOPLE[1:]) + f" @zoë {REASON}",
        ["at most 10", "you named 12"],
        id="eleven-plus-recipients",
    ),
    pytest.param("@bob thanks!!", ["at least 10 characters", "yours has 8"], id="short-reason"),
    pytest.param("@bob 123456789", ["at least 10"], id="nine-characters"),
    pytest.param(
        "@bob @carol #teamwork #kindness #unprompted",
        ["at least 10", "yours has 0"],
        id="tags-only",
    ),
    pytest.param("@bob great #extraordinarily #generous", ["at least 10"], id="short-without-tags"),
    pytest.param("@bob " + "\u200b\u200c\u200d\u2060\ufeff" * 20, ["yours has 0"], id="zero-width"),
    pytest.param("@bob " + "\u202e\u2066\u2069\u200f" * 20, ["yours has 0"], id="bidi-only"),
    pytest.param("@bob " + " \t \n " * 50, ["at least 10"], id="whitespace-reason"),
    pytest.param("@bob " + "x" * 1001, ["1,001 characters", "1,000"], id="reason-1001"),
    pytest.param("@bob " + "y" * 100_000, ["100,000 characters"], id="reason-100kb"),
    pytest.param(f"@bob {REASON} #a #b #c #d #e #f", ["at most 5 values"], id="six-values"),
    pytest.param(f"@bob {REASON} #🎉", ["not a value"], id="emoji-value"),
    pytest.param(f"@bob {REASON} #" + "v" * 31, ["not a value", "30"], id="long-value"),
    pytest.param("", ["who would you like to thank"], id="empty"),
    pytest.param(" \u200b\t\n", ["who would you like to thank"], id="blank"),
]


@pytest.mark.parametrize(("text", "phrases"), REFUSALS)
async def test_refused_kudos_says_why_and_records_nothing(
    chat: Chat, world: FakeWorld, text: str, phrases: list[str]
) -> None:
    reply = await chat.kudos("alice", text, delivery_id="ev-1")

    assert_refused(reply, *phrases)
    assert chat.stored_kudos() == []
    assert world.notifier.calls == []
    assert world.store.state.deliveries == {}
    # A refusal does not burn the delivery: the corrected retry with that id is recorded.
    assert (await chat.kudos("alice", f"@bob {REASON}", delivery_id="ev-1")).ok
    assert len(chat.stored_kudos()) == 1


async def test_the_minimum_reason_length_is_the_admins_choice(chat: Chat) -> None:
    assert (await chat.admin("ada", "limit reason 15")).ok

    short = await chat.kudos("alice", "@bob fixed my build")  # 14 characters
    assert_refused(short, "at least 15 characters", "yours has 14")
    assert chat.stored_kudos() == []

    assert (await chat.kudos("alice", "@bob fixed my builds")).ok
    assert len(chat.stored_kudos()) == 1


async def test_the_minimum_counts_characters_not_mentions_or_values(chat: Chat) -> None:
    reply = await chat.kudos("alice", "@bob @carol @dave thank you #teamwork #mentoring")

    assert_refused(reply, "yours has 9")  # "thank you"
    assert chat.stored_kudos() == []


async def test_a_reason_of_exactly_a_thousand_characters_is_accepted(chat: Chat) -> None:
    assert (await chat.kudos("alice", "@bob " + "z" * 1000)).ok
    assert len(chat.stored_kudos()[0].reason) == 1000


async def test_the_daily_limit_refuses_the_eleventh_kudos_of_the_day(
    chat: Chat, world: FakeWorld
) -> None:
    for i in range(10):
        assert (await chat.kudos("alice", f"@bob {REASON}, part {i}")).ok
        world.clock.advance(minutes=1)

    reply = await chat.kudos("alice", f"@bob {REASON}, once more")

    assert_refused(reply, "10 kudos today", "tomorrow")
    assert len(chat.stored_kudos()) == 10
    # Someone else's limit is their own.
    assert (await chat.kudos("carol", f"@bob {REASON}")).ok


async def test_the_day_ends_at_the_communitys_local_midnight(chat: Chat, world: FakeWorld) -> None:
    assert (await chat.admin("ada", "digest schedule mon 09:00 America/New_York")).ok
    world.clock.set(datetime(2025, 3, 4, 23, 30, tzinfo=UTC))  # 18:30 in New York (EST)
    for i in range(10):
        assert (await chat.kudos("alice", f"@bob {REASON}, part {i}")).ok
        world.clock.advance(minutes=1)  # within the per-minute limit

    # A new day in UTC, still Tuesday evening in New York: the limit holds.
    world.clock.set(datetime(2025, 3, 5, 4, 59, tzinfo=UTC))
    assert_refused(await chat.kudos("alice", f"@bob {REASON}"), "daily limit")

    # Midnight in New York: a new day.
    world.clock.set(datetime(2025, 3, 5, 5, 0, tzinfo=UTC))
    assert (await chat.kudos("alice", f"@bob {REASON}")).ok
    assert len(chat.stored_kudos()) == 11


async def test_the_day_starts_at_utc_midnight_by_default(chat: Chat, world: FakeWorld) -> None:
    world.clock.set(datetime(2025, 3, 4, 23, 0, tzinfo=UTC))
    for _ in range(10):
        assert (await chat.kudos("alice", f"@bob {REASON}")).ok
        world.clock.advance(minutes=1)  # within the per-minute limit

    world.clock.set(datetime(2025, 3, 5, 0, 0, tzinfo=UTC))
    assert (await chat.kudos("alice", f"@bob {REASON}")).ok


async def test_an_admin_sets_the_daily_limit_and_zero_turns_it_off(
    chat: Chat, world: FakeWorld
) -> None:
    assert (await chat.admin("ada", "limit daily 2")).ok
    for _ in range(2):
        assert (await chat.kudos("alice", f"@bob {REASON}")).ok
    assert_refused(await chat.kudos("alice", f"@bob {REASON}"), "2 kudos today")

    reply = await chat.admin("ada", "limit daily 0")
    assert reply.ok and "off" in reply.text
    for _ in range(15):
        assert (await chat.kudos("alice", f"@bob {REASON}")).ok
        world.clock.advance(minutes=1)  # within the per-minute limit
    assert len(chat.stored_kudos()) == 17


async def test_a_repeated_delivery_is_recorded_once(chat: Chat, world: FakeWorld) -> None:
    first = await chat.kudos("alice", f"@bob {REASON}", delivery_id="Ev0123")
    again = await chat.kudos("alice", f"@bob {REASON}", delivery_id="Ev0123")

    assert first.ok and first.announcement is not None
    assert again.ok and "already recorded" in again.text.lower()
    assert again.announcement is None  # nobody is thanked in the channel twice
    assert len(chat.stored_kudos()) == 1
    assert len(world.notifier.calls) == 1
    # Another delivery of the same words is another thank-you.
    assert (await chat.kudos("alice", f"@bob {REASON}", delivery_id="Ev0124")).ok
    assert len(chat.stored_kudos()) == 2


async def test_a_delivery_raced_by_another_replica_is_recorded_once(
    chat: Chat, world: FakeWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await chat.kudos("alice", f"@bob {REASON}", delivery_id="Ev9")).ok

    async def not_seen_yet(self: FakeDeliveryRepository, community_id: str, d: str) -> bool:
        return False  # the other replica commits between our check and our insert

    monkeypatch.setattr(FakeDeliveryRepository, "seen", not_seen_yet)
    again = await chat.kudos("alice", f"@bob {REASON}", delivery_id="Ev9")

    assert again.ok and "already recorded" in again.text.lower()
    assert len(chat.stored_kudos()) == 1
    assert len(world.notifier.calls) == 1


async def test_a_failed_notification_keeps_the_kudos(chat: Chat, world: FakeWorld) -> None:
    world.notifier.fail = True

    reply = await chat.kudos("alice", f"@bob {REASON}")

    assert reply.ok
    assert len(chat.stored_kudos()) == 1


async def test_when_the_store_is_down_the_member_is_asked_to_retry(
    chat: Chat, world: FakeWorld
) -> None:
    world.store.unavailable = True

    reply = await chat.kudos("alice", f"@bob {REASON}")

    assert_refused(reply, "try again", "nothing was saved")
    world.store.unavailable = False
    assert chat.stored_kudos() == []


async def test_kudos_in_one_community_do_not_count_in_another(world: FakeWorld) -> None:
    here, there = Chat(world, "console:here"), Chat(world, "console:there")
    assert (await here.admin("ada", "limit daily 1")).ok
    assert (await here.kudos("alice", f"@bob {REASON}")).ok
    assert_refused(await here.kudos("alice", f"@bob {REASON}"), "daily limit")

    assert (await there.kudos("alice", f"@bob {REASON}")).ok
    assert len(here.stored_kudos()) == len(there.stored_kudos()) == 1


async def test_the_limit_counts_kudos_from_earlier_today_only(chat: Chat, world: FakeWorld) -> None:
    assert (await chat.admin("ada", "limit daily 1")).ok
    world.clock.set(datetime(2025, 3, 4, 8, 0, tzinfo=UTC))
    assert (await chat.kudos("alice", f"@bob {REASON}")).ok
    world.clock.advance(timedelta(days=1))
    assert (await chat.kudos("alice", f"@bob {REASON}")).ok
