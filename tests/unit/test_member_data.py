"""/connections me, optout, optin, export, forget: a member's own data."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.domain import FORGOTTEN_MEMBER
from tests.fakes import FakeWorld
from tests.unit.driver import Chat, assert_refused


def lines_starting(text: str, prefix: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith(prefix)]


async def test_me_shows_the_last_thirty_days_five_of_each_and_open_offers(
    chat: Chat, world: FakeWorld
) -> None:
    assert (await chat.kudos("alice", "@carol for a kudos from long ago")).ok
    assert (await chat.kudos("bob", "@alice for thanks from long ago")).ok
    world.clock.advance(days=31)
    for i in range(7):
        assert (await chat.kudos("alice", f"@bob for review number {i}")).ok
        world.clock.advance(hours=1)
    for i in range(2):
        assert (await chat.kudos("dave", f"@alice for pairing session {i}")).ok
        world.clock.advance(hours=1)
    assert (await chat.offer("alice", "I can pair on SQL query tuning")).ok
    assert (await chat.offer("alice", "I can review your CV")).ok
    open_id, closed_id = (o.id for o in chat.stored_offers())
    assert (await chat.offer("alice", f"close {closed_id}")).ok

    reply = await chat.connections("alice", "me")

    assert reply.ok
    assert "Thanks given: 7" in reply.text
    assert lines_starting(reply.text, "to ") == [
        f"to Bob: for review number {i}" for i in (6, 5, 4, 3, 2)
    ]
    assert "Thanks received: 2" in reply.text
    assert lines_starting(reply.text, "from ") == [
        "from Dave: for pairing session 1",
        "from Dave: for pairing session 0",
    ]
    assert "long ago" not in reply.text
    assert "Open offers: 1" in reply.text
    assert f"#{open_id} I can pair on SQL query tuning" in reply.text
    assert "CV" not in reply.text
    assert "opted out" not in reply.text


async def test_me_for_a_newcomer_is_a_friendly_empty_summary(chat: Chat) -> None:
    reply = await chat.connections("oscar", "me")

    assert reply.ok
    assert "Thanks given: 0" in reply.text and "Thanks received: 0" in reply.text
    assert "Open offers: 0" in reply.text


async def test_opting_out_and_back_in(chat: Chat) -> None:
    out = await chat.connections("alice", "optout")

    assert out.ok and "optin" in out.text
    member = chat.member("alice")
    assert member is not None and member.opted_out
    assert "opted out" in (await chat.connections("alice", "me")).text
    assert (await export(chat, "alice"))["member"]["opted_out_of_digests"] is True
    # Opting out does not stop anyone thanking them.
    assert (await chat.kudos("bob", "@alice for the careful review")).ok

    back = await chat.connections("alice", "OptIn")
    assert back.ok
    member = chat.member("alice")
    assert member is not None and not member.opted_out
    assert "opted out" not in (await chat.connections("alice", "me")).text


async def export(chat: Chat, who: str) -> dict[str, Any]:
    reply = await chat.connections(who, "export")
    assert reply.ok and reply.attachment is not None
    assert reply.attachment.filename.endswith(".json")
    assert reply.attachment.mime_type == "application/json"
    data: dict[str, Any] = json.loads(reply.attachment.content.decode("utf-8"))
    return data


async def test_export_holds_the_members_kudos_and_offers_and_no_one_elses_data(
    chat: Chat, world: FakeWorld
) -> None:
    assert (await chat.kudos("alice", "@bob for the ünïcode fix 🎉 #craft")).ok
    assert (await chat.kudos("carol", "@alice @dave for covering my on-call shift")).ok
    assert (await chat.offer("alice", "I can pair on SQL query tuning")).ok
    # Other members' private data: their words to each other, their offers, their names.
    assert (await chat.kudos("bob", "@carol for the secret-sauce migration plan")).ok
    assert (await chat.offer("bob", "I can explain the hush-hush budget")).ok
    assert (await chat.connections("dave", "optout")).ok

    data = await export(chat, "alice")

    assert data["member"]["id"] == "alice"
    assert data["member"]["display_name"] == "Alice"
    assert data["member"]["opted_out_of_digests"] is False
    [given] = data["kudos_given"]
    assert given["recipients"] == ["bob"]
    assert given["reason"] == "for the ünïcode fix 🎉"
    assert given["values"] == ["craft"]
    [received] = data["kudos_received"]
    assert received["giver"] == "carol"
    assert received["recipients"] == ["alice", "dave"]
    assert [o["text"] for o in data["offers"]] == ["I can pair on SQL query tuning"]
    raw = json.dumps(data, ensure_ascii=False)
    for private in ("secret-sauce", "hush-hush", "Bob", "Carol", "Dave"):
        assert private not in raw
    assert set(data) == {
        "community",
        "member",
        "kudos_given",
        "kudos_received",
        "offers",
        "exported_at",
    }


async def test_export_from_someone_never_seen_is_empty_not_an_error(chat: Chat) -> None:
    data = await export(chat, "oscar")

    assert data["kudos_given"] == data["kudos_received"] == data["offers"] == []


async def test_forget_asks_for_confirmation_first(chat: Chat) -> None:
    assert (await chat.kudos("alice", "@bob for the careful review")).ok
    assert (await chat.offer("alice", "I can pair on SQL query tuning")).ok

    reply = await chat.connections("alice", "forget")

    assert reply.ok and "/connections forget confirm" in reply.text
    assert chat.stored_kudos()[0].giver_id == "alice"
    assert len(chat.stored_offers()) == 1
    assert chat.member("alice") is not None


async def test_forget_erases_the_member_and_keeps_everyone_elses_counts(
    chat: Chat, world: FakeWorld
) -> None:
    assert (await chat.kudos("alice", "@bob @carol for the careful review #rigour")).ok
    assert (await chat.kudos("bob", "@alice for explaining the incident timeline")).ok
    assert (await chat.kudos("dave", "@alice @carol for the demo day setup")).ok
    assert (await chat.offer("alice", "I can pair on SQL query tuning")).ok
    assert (await chat.offer("bob", "I can review your CV")).ok
    world.clock.advance(minutes=5)
    bob_before = await chat.connections("bob", "me")

    reply = await chat.connections("alice", "forget confirm")

    assert reply.ok and "erased" in reply.text
    assert chat.member("alice") is None
    assert [o.owner_id for o in chat.stored_offers()] == ["bob"]
    gave, thanked, shared = chat.stored_kudos()
    assert (gave.giver_id, gave.reason, gave.tags) == (FORGOTTEN_MEMBER, "", ())
    assert gave.recipient_ids == ("bob", "carol")
    assert thanked.giver_id == "bob" and thanked.recipient_ids == (FORGOTTEN_MEMBER,)
    assert shared.recipient_ids == (FORGOTTEN_MEMBER, "carol")
    everything = repr(world.store.state)
    assert "'alice'" not in everything and "careful review" not in everything
    assert "rigour" not in everything

    bob_after = await chat.connections("bob", "me")
    assert lines_starting(bob_after.text, "Thanks") == lines_starting(bob_before.text, "Thanks")
    assert lines_starting(bob_after.text, "Thanks") == ["Thanks given: 1", "Thanks received: 1"]
    assert "from a former member" in bob_after.text
    assert "to a former member: for explaining the incident timeline" in bob_after.text
    assert "Alice" not in bob_after.text and "careful review" not in bob_after.text
    carol = await chat.connections("carol", "me")
    assert "Thanks received: 2" in carol.text
    # Nothing of alice is listed anywhere any more.
    listing = await chat.offer("carol", "list")
    assert "Alice" not in listing.text and "SQL" not in listing.text


async def test_forget_from_someone_never_seen_succeeds(chat: Chat) -> None:
    reply = await chat.connections("oscar", "forget confirm")

    assert reply.ok


async def test_forget_does_not_touch_another_community(world: FakeWorld) -> None:
    here, there = Chat(world, "console:here"), Chat(world, "console:there")
    assert (await here.kudos("alice", "@bob for the careful review")).ok
    assert (await there.kudos("alice", "@bob for the careful review")).ok

    assert (await here.connections("alice", "forget confirm")).ok

    assert here.stored_kudos()[0].giver_id == FORGOTTEN_MEMBER
    assert there.stored_kudos()[0].giver_id == "alice"
    assert there.member("alice") is not None


async def test_a_forgotten_member_can_start_afresh(chat: Chat, world: FakeWorld) -> None:
    assert (await chat.kudos("alice", "@bob for the careful review")).ok
    assert (await chat.connections("alice", "forget confirm")).ok
    world.clock.advance(days=1)

    assert (await chat.kudos("alice", "@bob for the second careful review")).ok
    data = await export(chat, "alice")
    assert [k["reason"] for k in data["kudos_given"]] == ["for the second careful review"]


async def test_member_commands_with_extra_words_are_refused_without_side_effects(
    chat: Chat,
) -> None:
    for text in ("forget me now", "optout please", "me and you", "export all"):
        assert_refused(await chat.connections("alice", text), "/connections help")
    assert chat.member("alice") is None


async def test_forget_confirmed_with_a_typo_erases_nothing(chat: Chat) -> None:
    assert (await chat.kudos("alice", "@bob for the careful review")).ok

    assert_refused(await chat.connections("alice", "forget confirmm"), "/connections help")
    assert chat.stored_kudos()[0].giver_id == "alice"


async def test_the_summary_window_is_thirty_days(chat: Chat, world: FakeWorld) -> None:
    assert (await chat.kudos("alice", "@bob for the careful review")).ok
    world.clock.advance(timedelta(days=30))
    assert "Thanks given: 1" in (await chat.connections("alice", "me")).text
    world.clock.advance(seconds=1)
    assert "Thanks given: 0" in (await chat.connections("alice", "me")).text
