"""/kudos, /offer and /connections through the real bolt app over signed HTTP."""

from __future__ import annotations

import json
import re

import pytest

from adapters.slack.slash_commands import WORKING_ON_IT
from tests.slack.harness import SlackWorld

# Every way a Slack message can broadcast or mention a group, as Slack sends them, plus the
# bare words and text that only looks like an escape.
SPECIAL_MENTIONS = (
    "<!channel> <!here> <!everyone> <!subteam^S0DEVS|@devs> <!subteam^S0OPS> "
    "<!here|here> @channel @here @everyone @Channel &lt;!channel&gt;"
)
LIVE_BROADCAST = re.compile(r"<!|@(?:channel|here|everyone|devs)\b", re.IGNORECASE)


async def test_kudos_is_acked_with_the_answer_then_announced_and_sent_by_dm(
    world: SlackWorld,
) -> None:
    answer = await world.slack.command(
        "/kudos", "<@UBOB|bob> <@UCAROL> for untangling the release script #teamwork #unprompted"
    )

    assert answer.status == 200
    assert answer.json()["response_type"] == "ephemeral"
    assert "Your thanks to Bob and Carol is recorded" in answer.message
    await world.settle()
    [kudos] = await world.kudos()
    assert (kudos.giver_id, kudos.recipient_ids) == ("UALICE", ("UBOB", "UCAROL"))
    assert kudos.reason == "for untangling the release script"
    assert (kudos.tags, kudos.unprompted) == (("teamwork",), True)
    [public] = [c for c in world.fake.posted() if c.args["channel"] == "CGENERAL"]
    assert "<@UBOB>" in public.args["text"] and "<@UCAROL>" in public.args["text"]
    assert "untangling the release script" in public.args["text"]
    dms = sorted(c.args["channel"] for c in world.fake.posted() if c.args["channel"] != "CGENERAL")
    assert dms == ["DUBOB", "DUCAROL"]


async def test_enterprise_grid_user_ids_are_thanked_too(world: SlackWorld) -> None:
    answer = await world.slack.command("/kudos", "<@WDAVE> for walking me through the VPN setup")

    assert "Your thanks to Dave is recorded" in answer.message
    assert [k.recipient_ids for k in await world.kudos()] == [("WDAVE",)]


async def test_kudos_where_the_bot_is_not_a_member_is_announced_through_the_response_url(
    world: SlackWorld,
) -> None:
    world.fake.channels_without_bot.add("CPRIVATE")

    answer = await world.slack.command(
        "/kudos", "<@UBOB> for the thorough review of my schema", channel="CPRIVATE"
    )
    await world.settle()

    assert "recorded" in answer.message
    [(_, body)] = world.fake.responses
    assert body["response_type"] == "in_channel"
    assert "<@UBOB>" in body["text"] and "thorough review" in body["text"]


async def test_a_reason_with_every_special_mention_reaches_slack_without_a_live_one(
    world: SlackWorld,
) -> None:
    answer = await world.slack.command(
        "/kudos", f"<@UBOB> for fixing the build {SPECIAL_MENTIONS} #teamwork"
    )
    await world.settle()

    assert "recorded" in answer.message
    [public] = [c for c in world.fake.posted() if c.args["channel"] == "CGENERAL"]
    everything = world.fake.all_text_sent() + answer.text
    assert LIVE_BROADCAST.search(public.args["text"]) is None
    assert LIVE_BROADCAST.search(everything) is None
    assert set(re.findall(r"<@(\w+)", everything)) == {"UBOB"}
    # The words stay readable: stored as the member saw them, shown without pinging.
    [kudos] = await world.kudos()
    assert "@channel @here @everyone @devs @group @here" in kudos.reason
    assert "<!channel>" in kudos.reason
    assert "@\u200bchannel" in public.args["text"] and "&lt;!channel&gt;" in public.args["text"]


async def test_mass_mentions_alone_thank_nobody(world: SlackWorld) -> None:
    answer = await world.slack.command("/kudos", f"{SPECIAL_MENTIONS} for everything this week")
    await world.settle()

    assert "Who would you like to thank?" in answer.message
    assert await world.kudos_count() == 0
    assert world.fake.posted() == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Who would you like to thank?"),
        ("   ", "Who would you like to thank?"),
        ("<@UHELPERBOT> for running the nightly report", "Helper Bot is a bot"),
        ("<@USLACKBOT> for reminding me about standup", "Slackbot is a bot"),
        ("<@UGONE> for all the help last year", "couldn't find one of the people"),
        ("<@UNOBODY1> for the help with the deploy", "couldn't find one of the people"),
        ("<@UALICE> for being so patient with myself", "Thanking yourself doesn't count"),
        (
            "<@UBOB> \u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b",
            "at least 10",
        ),
        ("<@UBOB> thanks", "at least 10"),
        ("<@UBOB> for " + "all of it " * 120, "please keep it under 1,000"),
        (" ".join(f"<@U{i:03d}X>" for i in range(11)) + " for the big launch", "at most 10"),
        ("<@UBOB> for the help " + " ".join(f"#v{i}" for i in range(6)), "at most 5 values"),
    ],
)
async def test_refused_kudos_say_why_and_store_nothing(
    world: SlackWorld, text: str, expected: str
) -> None:
    answer = await world.slack.command("/kudos", text)
    await world.settle()

    assert answer.status == 200
    assert expected in answer.message
    assert await world.kudos_count() == 0
    assert world.fake.posted() == []


async def test_unicode_reasons_are_kept_and_escaped(world: SlackWorld) -> None:
    answer = await world.slack.command(
        "/kudos",
        "<@UBOB> für die Hilfe beim Umzug 🚚 &amp; &lt;b&gt;danke&lt;/b&gt; — merci! #équipe",
    )
    await world.settle()

    assert "recorded" in answer.message
    [kudos] = await world.kudos()
    assert kudos.reason == "für die Hilfe beim Umzug 🚚 & <b>danke</b> — merci!"
    assert kudos.tags == ("équipe",)
    [public] = [c for c in world.fake.posted() if c.args["channel"] == "CGENERAL"]
    assert "🚚 &amp; &lt;b&gt;danke&lt;/b&gt;" in public.args["text"]


async def test_the_same_slash_command_delivered_twice_is_recorded_once(world: SlackWorld) -> None:
    body = world.slack.command_body("/kudos", "<@UBOB> for pairing on the outage", "UALICE", "C1")

    first = await world.slack.post(body)
    second = await world.slack.post(body)

    assert "recorded" in first.message and "Already recorded" in second.message
    assert await world.kudos_count() == 1


async def test_a_slow_answer_is_acked_at_once_and_follows_through_the_response_url(
    world: SlackWorld,
) -> None:
    world.runtime.adapter.ack_budget = 0.0

    answer = await world.slack.command("/kudos", "<@UBOB> for the quick fix of the login bug")
    await world.settle()

    assert answer.message == WORKING_ON_IT
    [(_, late)] = world.fake.responses
    assert late["response_type"] == "ephemeral" and "recorded" in late["text"]
    assert await world.kudos_count() == 1
    assert any(c.args["channel"] == "CGENERAL" for c in world.fake.posted())


async def test_offers_are_made_listed_and_closed_by_their_owner(world: SlackWorld) -> None:
    made = await world.slack.command("/offer", "I can pair on SQL &amp; query tuning")
    listed = await world.slack.command("/offer", "list sql", user="UBOB")
    not_yours = await world.slack.command("/offer", "close 1", user="UBOB")
    closed = await world.slack.command("/offer", "close 1")

    assert "Offer #1 is open for 30 days" in made.message
    assert "#1 Alice: I can pair on SQL &amp; query tuning" in listed.message
    assert "Only the person who made an offer" in not_yours.message
    assert "Offer #1 is closed" in closed.message


@pytest.mark.parametrize("text", ["", "help", "close", "close twelve", "close 99999999999"])
async def test_offer_help_and_bad_offer_ids_get_a_friendly_answer(
    world: SlackWorld, text: str
) -> None:
    answer = await world.slack.command("/offer", text)

    assert answer.status == 200
    assert "/offer" in answer.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I can " + "help " * 120, "please keep it under 500"),
        ("\u200b\u200b\u200b\u200b\u200b\u200b", "What would you like to offer?"),
        ("hi", "What would you like to offer?"),
    ],
)
async def test_bad_offers_are_refused_and_store_nothing(
    world: SlackWorld, text: str, expected: str
) -> None:
    answer = await world.slack.command("/offer", text)
    listed = await world.slack.command("/offer", "list")

    assert expected in answer.message
    assert "No open offers" in listed.message


async def test_an_offer_full_of_mentions_is_listed_without_pinging(world: SlackWorld) -> None:
    made = await world.slack.command("/offer", f"I can help anyone {SPECIAL_MENTIONS} with Go")
    listed = await world.slack.command("/offer", "list go", user="UBOB")

    assert "Offer #1 is open" in made.message
    assert "I can help anyone @\u200bchannel" in listed.message
    assert LIVE_BROADCAST.search(made.text + listed.text) is None


async def test_connections_me_and_help(world: SlackWorld) -> None:
    await world.slack.command("/kudos", "<@UBOB> for reviewing my migration so carefully")

    me = await world.slack.command("/connections", "me", user="UBOB")
    help_ = await world.slack.command("/connections", "")
    unknown = await world.slack.command("/connections", "dance <!channel>")

    assert "Thanks received: 1" in me.message and "from Alice" in me.message
    assert "/kudos @\u200balice" in help_.message and "/connections admin reaction" in help_.message
    assert "/connections help" in unknown.message
    assert LIVE_BROADCAST.search(unknown.text) is None


async def test_export_arrives_as_a_private_file(world: SlackWorld) -> None:
    await world.slack.command("/kudos", "<@UBOB> for the careful review of my migration")

    answer = await world.slack.command("/connections", "export")
    await world.settle()

    assert "direct message" in answer.message
    [complete] = world.fake.calls_to("files.completeUploadExternal")
    assert complete.args["channel_id"] == "DUALICE"
    [upload] = world.fake.uploads.values()
    export = json.loads(upload)
    assert export["member"]["id"] == "UALICE"
    assert export["kudos_given"][0]["reason"] == "for the careful review of my migration"


async def test_a_failed_upload_is_reported_to_the_member(world: SlackWorld) -> None:
    from tests.slack.fake_slack import Failure

    world.fake.fail_next(
        "files.getUploadURLExternal", Failure(200, {"ok": False, "error": "not_allowed"})
    )

    await world.slack.command("/connections", "export")
    await world.settle()

    [(_, body)] = world.fake.responses
    assert "couldn't send you the file" in body["text"]
