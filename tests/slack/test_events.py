"""Events API: App Home, thank-you reactions, retries and bots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot import bootstrap
from tests.databases import sqlite_url
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import SlackDriver, SlackWorld, running, settings_for

MESSAGE_TS = "1700000000.000100"


def reaction(
    reactor: str = "UBOB",
    author: str = "UALICE",
    emoji: str = "raised_hands",
    kind: str = "reaction_added",
    item_type: str = "message",
) -> dict[str, Any]:
    return {
        "type": kind,
        "user": reactor,
        "reaction": emoji,
        "item_user": author,
        "item": {"type": item_type, "channel": "CGENERAL", "ts": MESSAGE_TS},
        "event_ts": "1700000100.000200",
    }


async def turn_reactions_on(world: SlackWorld, emoji: str = ":raised_hands:") -> None:
    answer = await world.slack.command("/connections", f"admin reaction {emoji}", user="UADMIN")
    assert "now thanks its author" in answer.message


async def test_app_home_shows_the_members_thanks_offers_and_buttons(world: SlackWorld) -> None:
    await world.slack.command("/kudos", "<@UBOB> for the careful review of my migration")
    await world.slack.command("/offer", "I can pair on SQL query tuning", user="UCAROL")

    answer = await world.slack.event(
        {"type": "app_home_opened", "user": "UBOB", "channel": "DUBOB", "tab": "home"}
    )
    await world.settle()

    assert answer.status == 200
    [publish] = world.fake.calls_to("views.publish")
    assert publish.args["user_id"] == "UBOB"
    view = publish.args["view"]
    assert view["type"] == "home"
    text = str(view["blocks"])
    assert "Thanks received: 1" in text and "from Alice" in text
    assert "I can pair on SQL query tuning" in text
    actions = [
        e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert actions == ["home_thank", "home_offer"]


async def test_the_messages_tab_publishes_nothing(world: SlackWorld) -> None:
    await world.slack.event(
        {"type": "app_home_opened", "user": "UBOB", "channel": "DUBOB", "tab": "messages"}
    )
    await world.settle()

    assert world.fake.calls_to("views.publish") == []


async def test_events_from_bots_are_ignored(world: SlackWorld) -> None:
    answer = await world.slack.event(
        {"type": "app_home_opened", "user": "UHELPERBOT", "tab": "home", "bot_id": "B0HELPER"}
    )
    await world.settle()

    assert answer.status == 200
    assert world.fake.calls_to("views.publish") == []


async def test_reactions_thank_nobody_until_an_admin_turns_them_on(world: SlackWorld) -> None:
    answer = await world.slack.event(reaction())
    await world.settle()

    assert answer.status == 200
    assert await world.kudos_count() == 0


async def test_a_reaction_thanks_the_author_once_however_often_it_arrives(
    world: SlackWorld,
) -> None:
    await turn_reactions_on(world)

    await world.slack.event(reaction(), event_id="Ev0001")
    await world.slack.event(reaction(), event_id="Ev0001", retry=1)
    await world.slack.event(reaction(kind="reaction_removed"), event_id="Ev0002")
    await world.slack.event(reaction(), event_id="Ev0003")  # added again
    await world.slack.event(reaction(emoji="raised_hands::skin-tone-3"), event_id="Ev0004")
    await world.settle()

    [kudos] = await world.kudos()
    assert (kudos.giver_id, kudos.recipient_ids) == ("UBOB", ("UALICE",))
    assert kudos.reason == "reacted with :raised_hands: to a message"
    [told] = world.fake.calls_to("chat.postEphemeral")
    assert told.args["user"] == "UBOB" and "Alice" in told.args["text"]
    assert [c.args["channel"] for c in world.fake.posted()] == ["DUALICE"]


async def test_a_retry_reaching_another_replica_records_nothing_twice(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    settings = settings_for(fake_slack, sqlite_url(tmp_path))
    async with (
        bootstrap.open_store(settings) as store,
        running(settings, store) as first,
        running(settings, store) as second,
    ):
        replica_a = SlackDriver(f"http://127.0.0.1:{first.http.port}", fake_slack)
        replica_b = SlackDriver(f"http://127.0.0.1:{second.http.port}", fake_slack)
        await replica_a.command("/connections", "admin reaction :raised_hands:", user="UADMIN")

        await replica_a.event(reaction(), event_id="Ev0001")
        await replica_b.event(reaction(), event_id="Ev0001", retry=1)
        await first.adapter.background.idle()
        await second.adapter.background.idle()

        async with store.uow() as uow:
            given = await uow.kudos.given_by("slack:T0TEAM", "UBOB")
    assert len(given) == 1


async def test_other_emoji_bots_and_own_or_bot_messages_thank_nobody(world: SlackWorld) -> None:
    await turn_reactions_on(world)

    for event in (
        reaction(emoji="thumbsup"),
        reaction(reactor="UHELPERBOT"),
        reaction(reactor="UALICE", author="UALICE"),
        reaction(author="UBOT"),
        reaction(author="UHELPERBOT"),
        reaction(item_type="file"),
        {**reaction(), "item_user": None},
    ):
        assert (await world.slack.event(event)).status == 200
    await world.settle()

    assert await world.kudos_count() == 0
    assert world.fake.posted() == []
    assert world.fake.calls_to("chat.postEphemeral") == []


async def test_a_reaction_the_rules_refuse_tells_the_reactor_quietly(world: SlackWorld) -> None:
    await turn_reactions_on(world)
    await world.slack.command("/connections", "admin limit reason 100", user="UADMIN")

    await world.slack.event(reaction())
    await world.settle()

    assert await world.kudos_count() == 0
    [told] = world.fake.calls_to("chat.postEphemeral")
    assert told.args["user"] == "UBOB" and "at least 100 characters" in told.args["text"]
