"""/offer: create, list and search, close, renew, expiry."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from tests.fakes import FakeDeliveryRepository, FakeWorld
from tests.unit.driver import PEOPLE, Chat, assert_refused

SQL = "I can pair on SQL query tuning"


def listed_ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^#(\d+) ", text, re.MULTILINE)]


async def test_an_offer_is_open_for_thirty_days(chat: Chat, world: FakeWorld) -> None:
    reply = await chat.offer("alice", f"  {SQL}  ")

    assert reply.ok
    [offer] = chat.stored_offers()
    assert f"#{offer.id}" in reply.text and "30 days" in reply.text
    assert f"/offer close {offer.id}" in reply.text
    assert offer.owner_id == "alice" and offer.text == SQL
    assert offer.expires_at == world.clock.now() + timedelta(days=30)
    listing = await chat.offer("bob", "list")
    assert f"#{offer.id} Alice: {SQL}" in listing.text


async def test_the_add_verb_is_optional(chat: Chat) -> None:
    assert (await chat.offer("alice", f"add {SQL}")).ok
    assert [o.text for o in chat.stored_offers()] == [SQL]


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        pytest.param("add", ["what would you like to offer"], id="add-nothing"),
        pytest.param("hi", ["what would you like to offer"], id="too-short"),
        pytest.param("help", [], id="help-is-not-an-offer"),
        pytest.param("abcd", ["what would you like to offer"], id="four-characters"),
        pytest.param("\u200b\u200d\u2060" * 30, ["what would you like"], id="zero-width"),
        pytest.param("\u202e\u2066" * 30, ["what would you like"], id="bidi-only"),
        pytest.param("o" * 501, ["501 characters", "500"], id="501-characters"),
        pytest.param("o " * 50_000, ["99,999 characters"], id="100kb-words"),
        pytest.param("a" * 100_000, ["100,000 characters"], id="100kb"),
    ],
)
async def test_bad_offers_are_refused_and_not_stored(
    chat: Chat, text: str, phrases: list[str]
) -> None:
    reply = await chat.offer("alice", text)

    if phrases:
        assert_refused(reply, *phrases)
    else:
        assert "/offer I can pair" in reply.text  # the help
    assert chat.stored_offers() == []


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
async def test_an_empty_offer_shows_how_to_offer(chat: Chat, text: str) -> None:
    reply = await chat.offer("alice", text)

    assert "/offer I can pair on SQL query tuning" in reply.text
    assert chat.stored_offers() == []


async def test_offers_of_five_and_of_five_hundred_characters_are_accepted(chat: Chat) -> None:
    assert (await chat.offer("alice", "Go!Go")).ok
    assert (await chat.offer("alice", "p" * 500)).ok
    assert len(chat.stored_offers()) == 2


async def test_unicode_and_emoji_are_kept_and_invisible_characters_dropped(chat: Chat) -> None:
    reply = await chat.offer("zoë", "Ich helfe gern bei Übersetzungen 🇩🇪\u200b\u202e 👩‍💻")

    assert reply.ok
    assert chat.stored_offers()[0].text == "Ich helfe gern bei Übersetzungen 🇩🇪 👩‍💻"


async def test_a_member_has_at_most_five_open_offers(chat: Chat, world: FakeWorld) -> None:
    for i in range(5):
        assert (await chat.offer("alice", f"{SQL}, slot {i}")).ok

    reply = await chat.offer("alice", "I can review your CV")

    assert_refused(reply, "5 open offers", "/offer close")
    assert len(chat.stored_offers()) == 5
    assert (await chat.offer("bob", "I can review your CV")).ok  # others still can
    first = chat.stored_offers()[0].id
    assert (await chat.offer("alice", f"close {first}")).ok
    assert (await chat.offer("alice", "I can review your CV")).ok


async def test_expired_offers_free_their_slot(chat: Chat, world: FakeWorld) -> None:
    for i in range(5):
        assert (await chat.offer("alice", f"{SQL}, slot {i}")).ok
    world.clock.advance(days=30)

    assert (await chat.offer("alice", "I can review your CV")).ok


async def test_listing_is_newest_first_and_paged_by_ten(chat: Chat, world: FakeWorld) -> None:
    for i in range(12):
        owner = PEOPLE[i % 4]
        assert (await chat.offer(owner, f"I can help with topic number {i}")).ok
        world.clock.advance(minutes=5)
    ids = [o.id for o in chat.stored_offers()]

    first = await chat.offer("erin", "list")
    assert listed_ids(first.text) == list(reversed(ids))[:10]
    assert "/offer list page 2" in first.text

    second = await chat.offer("erin", "list page 2")
    assert listed_ids(second.text) == [ids[1], ids[0]]
    assert "page 3" not in second.text

    third = await chat.offer("erin", "list page 3")
    assert listed_ids(third.text) == [] and "no more" in third.text.lower()


async def test_offers_made_in_the_same_instant_list_the_later_one_first(chat: Chat) -> None:
    assert (await chat.offer("alice", "I can help with Rust")).ok
    assert (await chat.offer("bob", "I can help with Go")).ok
    ids = [o.id for o in chat.stored_offers()]

    assert listed_ids((await chat.offer("carol", "list")).text) == [ids[1], ids[0]]


async def test_search_needs_every_word_in_any_case(chat: Chat, world: FakeWorld) -> None:
    assert (await chat.offer("alice", SQL)).ok
    world.clock.advance(minutes=1)
    assert (await chat.offer("bob", "SQL basics for beginners")).ok
    world.clock.advance(minutes=1)
    assert (await chat.offer("carol", "Query TUNING in PostgreSQL")).ok
    alice, bob, carol = (o.id for o in chat.stored_offers())

    assert listed_ids((await chat.offer("dave", "list sql")).text) == [carol, bob, alice]
    assert listed_ids((await chat.offer("dave", "list Tuning SQL")).text) == [carol, alice]
    assert listed_ids((await chat.offer("dave", "search QUERY   tuning sql")).text) == [
        carol,
        alice,
    ]
    assert listed_ids((await chat.offer("dave", "list sql beginners")).text) == [bob]
    nothing = await chat.offer("dave", "list kubernetes")
    assert nothing.ok and "no open offers matching “kubernetes”" in nothing.text.lower()


async def test_search_results_are_paged_with_the_query_kept(chat: Chat, world: FakeWorld) -> None:
    for i in range(11):
        assert (await chat.offer(PEOPLE[i % 3], f"I can help with SQL, part {i}")).ok
        world.clock.advance(minutes=1)
    assert (await chat.offer("dave", "I can help with Rust")).ok

    first = await chat.offer("erin", "list SQL")
    assert len(listed_ids(first.text)) == 10
    assert "/offer list sql page 2" in first.text
    second = await chat.offer("erin", "list SQL page 2")
    assert listed_ids(second.text) == [chat.stored_offers()[0].id]


async def test_search_words_are_plain_text_not_patterns(chat: Chat) -> None:
    assert (await chat.offer("alice", "I give 100% to code review")).ok
    assert (await chat.offer("bob", "I can help with snake_case naming")).ok

    assert len(listed_ids((await chat.offer("carol", "list 100%")).text)) == 1
    assert listed_ids((await chat.offer("carol", "list %")).text) == [1]
    assert listed_ids((await chat.offer("carol", "list _")).text) == [2]


async def test_the_list_is_empty_before_anyone_offers(chat: Chat) -> None:
    reply = await chat.offer("alice", "list")

    assert reply.ok and "no open offers" in reply.text.lower() and "/offer" in reply.text


async def test_the_owner_closes_an_offer_and_it_leaves_the_list(chat: Chat) -> None:
    assert (await chat.offer("alice", SQL)).ok
    offer_id = chat.stored_offers()[0].id

    reply = await chat.offer("alice", f"close {offer_id}")

    assert reply.ok and f"#{offer_id}" in reply.text
    assert chat.stored_offers()[0].closed_at is not None
    assert listed_ids((await chat.offer("bob", "list")).text) == []
    again = await chat.offer("alice", f"close #{offer_id}")
    assert again.ok and "already closed" in again.text


async def test_someone_else_cannot_close_an_offer(chat: Chat) -> None:
    assert (await chat.offer("alice", SQL)).ok
    offer_id = chat.stored_offers()[0].id

    assert_refused(await chat.offer("bob", f"close {offer_id}"), "only the person")

    assert chat.stored_offers()[0].closed_at is None
    assert listed_ids((await chat.offer("bob", "list")).text) == [offer_id]


async def test_a_workspace_admin_or_named_admin_can_close_any_offer(chat: Chat) -> None:
    assert (await chat.offer("alice", SQL)).ok
    assert (await chat.offer("alice", "I can review your CV")).ok
    first, second = (o.id for o in chat.stored_offers())

    assert (await chat.offer("ada", f"close {first}")).ok
    assert (await chat.admin("ada", "grant @bob")).ok
    assert (await chat.offer("bob", f"close {second}")).ok
    assert all(o.closed_at is not None for o in chat.stored_offers())


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("close 999", ["no offer #999"]),
        ("close", ["which offer", "/offer close 12"]),
        ("close twelve", ["which offer"]),
        ("close 0", ["which offer"]),
        ("close -3", ["which offer"]),
        ("close 99999999999", ["which offer"]),
        ("close ²", ["which offer"]),
        ("close 1.5", ["which offer"]),
        ("renew 999", ["no offer #999"]),
        ("renew", ["which offer", "/offer renew 12"]),
        ("renew ³", ["which offer"]),
    ],
)
async def test_closing_or_renewing_a_missing_offer_is_refused(
    chat: Chat, text: str, phrases: list[str]
) -> None:
    assert (await chat.offer("alice", SQL)).ok

    assert_refused(await chat.offer("alice", text), *phrases)
    assert chat.stored_offers()[0].closed_at is None


async def test_an_offer_from_another_community_cannot_be_touched(world: FakeWorld) -> None:
    here, there = Chat(world, "console:here"), Chat(world, "console:there")
    assert (await here.offer("alice", SQL)).ok
    offer_id = here.stored_offers()[0].id

    assert_refused(await there.offer("alice", f"close {offer_id}"), f"no offer #{offer_id}")
    assert_refused(await there.offer("ada", f"close {offer_id}"), f"no offer #{offer_id}")
    assert listed_ids((await there.offer("alice", "list")).text) == []
    assert here.stored_offers()[0].closed_at is None


async def test_an_offer_expires_after_thirty_days(chat: Chat, world: FakeWorld) -> None:
    assert (await chat.offer("alice", SQL)).ok
    offer_id = chat.stored_offers()[0].id

    world.clock.advance(days=30, seconds=-1)
    assert listed_ids((await chat.offer("bob", "list")).text) == [offer_id]
    world.clock.advance(seconds=1)
    assert listed_ids((await chat.offer("bob", "list")).text) == []
    assert listed_ids((await chat.offer("bob", "list sql")).text) == []
    assert "Open offers: 0" in (await chat.connections("alice", "me")).text


async def test_renewing_keeps_an_offer_open_thirty_more_days(chat: Chat, world: FakeWorld) -> None:
    assert (await chat.offer("alice", SQL)).ok
    offer_id = chat.stored_offers()[0].id
    world.clock.advance(days=25)

    reply = await chat.offer("alice", f"renew {offer_id}")

    assert reply.ok
    assert chat.stored_offers()[0].expires_at == world.clock.now() + timedelta(days=30)
    assert (world.clock.now() + timedelta(days=30)).strftime("%Y-%m-%d") in reply.text
    world.clock.advance(days=20)  # 45 days after it was made
    assert listed_ids((await chat.offer("bob", "list")).text) == [offer_id]


async def test_an_expired_offer_can_be_renewed_back_into_the_list(
    chat: Chat, world: FakeWorld
) -> None:
    assert (await chat.offer("alice", SQL)).ok
    offer_id = chat.stored_offers()[0].id
    world.clock.advance(days=31)

    assert (await chat.offer("alice", f"renew {offer_id}")).ok
    assert listed_ids((await chat.offer("bob", "list")).text) == [offer_id]


async def test_renewing_an_expired_offer_respects_the_open_limit(
    chat: Chat, world: FakeWorld
) -> None:
    assert (await chat.offer("alice", SQL)).ok
    old = chat.stored_offers()[0]
    world.clock.advance(days=31)
    for i in range(5):
        assert (await chat.offer("alice", f"I can help, slot {i}")).ok

    assert_refused(await chat.offer("alice", f"renew {old.id}"), "5 open offers", "close one")
    assert chat.stored_offers()[0].expires_at == old.expires_at
    assert old.id not in listed_ids((await chat.offer("bob", "list")).text)


async def test_only_the_owner_renews_and_a_closed_offer_stays_closed(chat: Chat) -> None:
    assert (await chat.offer("alice", SQL)).ok
    offer_id = chat.stored_offers()[0].id
    expires = chat.stored_offers()[0].expires_at

    assert_refused(await chat.offer("bob", f"renew {offer_id}"), "only the person")
    assert chat.stored_offers()[0].expires_at == expires
    assert (await chat.offer("alice", f"close {offer_id}")).ok
    assert_refused(await chat.offer("alice", f"renew {offer_id}"), "closed")
    assert listed_ids((await chat.offer("bob", "list")).text) == []


async def test_a_repeated_offer_delivery_is_recorded_once(chat: Chat) -> None:
    assert (await chat.offer("alice", SQL, delivery_id="int-1")).ok
    again = await chat.offer("alice", SQL, delivery_id="int-1")

    assert again.ok and "already recorded" in again.text.lower()
    assert len(chat.stored_offers()) == 1


async def test_an_offer_delivery_raced_by_another_replica_is_recorded_once(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await chat.offer("alice", SQL, delivery_id="int-1")).ok

    async def not_seen_yet(self: FakeDeliveryRepository, community_id: str, d: str) -> bool:
        return False

    monkeypatch.setattr(FakeDeliveryRepository, "seen", not_seen_yet)
    again = await chat.offer("alice", SQL, delivery_id="int-1")

    assert again.ok and "already recorded" in again.text.lower()
    assert len(chat.stored_offers()) == 1


@pytest.mark.parametrize(
    "query",
    [
        "a" + " " * 100_000 + "b",
        "page " * 20_000 + "x",
        "x" * 100_000,
        "sql " * 25_000,
        "\u200b" * 100_000,
    ],
)
async def test_a_huge_search_answers_quickly_and_briefly(chat: Chat, query: str) -> None:
    assert (await chat.offer("alice", SQL)).ok

    started = time.perf_counter()
    reply = await chat.offer("bob", f"list {query}")

    assert time.perf_counter() - started < 1.0
    assert reply.ok
    assert len(reply.text) < 1000


@pytest.mark.parametrize(
    ("query", "found"),
    [("SQL", True), ("sql\u200b", True), ("ＳＱＬ", False), ("🎉", False), ("tuning 🎉", False)],
)
async def test_unicode_searches(chat: Chat, query: str, found: bool) -> None:
    assert (await chat.offer("alice", SQL)).ok

    assert bool(listed_ids((await chat.offer("bob", f"list {query}")).text)) is found
