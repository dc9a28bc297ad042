"""The thank-you form (message shortcut, global shortcut, App Home) and the offer form."""

from __future__ import annotations

from typing import Any

import pytest

from tests.slack.fake_slack import TEAM_ID
from tests.slack.harness import SlackWorld


def _user(user_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": TEAM_ID}


def message_shortcut(user: str = "UALICE", author: str = "UBOB") -> dict[str, Any]:
    return {
        "type": "message_action",
        "callback_id": "thank_author",
        "trigger_id": "1.2.trigger",
        "token": "unused",
        "api_app_id": "A0APP",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "user": _user(user),
        "channel": {"id": "CGENERAL", "name": "general"},
        "message": {"type": "message", "user": author, "ts": "1700000000.000200", "text": "Fixed"},
        "message_ts": "1700000000.000200",
        "response_url": "http://127.0.0.1:9/unused",
    }


def kudos_submission(
    world: SlackWorld,
    recipients: list[str],
    reason: str,
    values: str = "",
    unprompted: bool = False,
    share_in: str | None = "CGENERAL",
    user: str = "UALICE",
    view_id: str = "VFORM0001",
) -> dict[str, Any]:
    flags = [{"value": "unprompted"}] if unprompted else []
    return {
        "type": "view_submission",
        "token": "unused",
        "api_app_id": "A0APP",
        "trigger_id": "3.4.trigger",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "user": _user(user),
        "view": {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": "modal",
            "callback_id": "kudos_form",
            "private_metadata": "",
            "state": {
                "values": {
                    "recipients": {
                        "users": {"type": "multi_users_select", "selected_users": recipients}
                    },
                    "reason": {"text": {"type": "plain_text_input", "value": reason}},
                    "values": {"text": {"type": "plain_text_input", "value": values or None}},
                    "unprompted": {"flag": {"type": "checkboxes", "selected_options": flags}},
                    "share_in": {
                        "conversation": {
                            "type": "conversations_select",
                            "selected_conversation": share_in,
                        }
                    },
                }
            },
        },
        "response_urls": (
            [
                {
                    "block_id": "share_in",
                    "action_id": "conversation",
                    "channel_id": share_in,
                    "response_url": world.fake.response_url(),
                }
            ]
            if share_in
            else []
        ),
    }


def offer_submission(text: str) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "token": "unused",
        "api_app_id": "A0APP",
        "team": {"id": TEAM_ID},
        "user": _user("UCAROL"),
        "view": {
            "id": "VOFFER01",
            "team_id": TEAM_ID,
            "type": "modal",
            "callback_id": "offer_form",
            "state": {"values": {"offer": {"text": {"type": "plain_text_input", "value": text}}}},
        },
    }


def home_button(action_id: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "token": "unused",
        "api_app_id": "A0APP",
        "trigger_id": "5.6.trigger",
        "team": {"id": TEAM_ID},
        "user": _user("UBOB"),
        "container": {"type": "view", "view_id": "VHOME"},
        "view": {"id": "VHOME", "type": "home", "team_id": TEAM_ID},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "action_ts": "1"}],
    }


def _element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return dict(block["element"])


async def test_the_message_shortcut_opens_the_form_with_the_author_chosen(
    world: SlackWorld,
) -> None:
    answer = await world.slack.interaction(message_shortcut())
    await world.settle()

    assert answer.status == 200
    [opened] = world.fake.calls_to("views.open")
    view = opened.args["view"]
    assert opened.args["trigger_id"] == "1.2.trigger" and view["callback_id"] == "kudos_form"
    assert _element(view, "recipients")["initial_users"] == ["UBOB"]
    assert _element(view, "share_in")["initial_conversation"] == "CGENERAL"


async def test_the_shortcut_on_ones_own_message_chooses_nobody(world: SlackWorld) -> None:
    await world.slack.interaction(message_shortcut(author="UALICE"))
    await world.settle()

    [opened] = world.fake.calls_to("views.open")
    assert "initial_users" not in _element(opened.args["view"], "recipients")


@pytest.mark.parametrize(
    ("payload", "callback_id"),
    [
        (
            {
                "type": "shortcut",
                "callback_id": "thank_someone",
                "trigger_id": "7.8.trigger",
                "team": {"id": TEAM_ID},
                "user": _user("UALICE"),
                "token": "unused",
                "api_app_id": "A0APP",
            },
            "kudos_form",
        ),
        (home_button("home_thank"), "kudos_form"),
        (home_button("home_offer"), "offer_form"),
    ],
)
async def test_the_global_shortcut_and_home_buttons_open_their_forms(
    world: SlackWorld, payload: dict[str, Any], callback_id: str
) -> None:
    answer = await world.slack.interaction(payload)
    await world.settle()

    assert answer.status == 200
    [opened] = world.fake.calls_to("views.open")
    assert opened.args["view"]["callback_id"] == callback_id


async def test_a_valid_submission_is_recorded_shown_and_announced(world: SlackWorld) -> None:
    payload = kudos_submission(
        world, ["UBOB", "UCAROL"], "Stayed late to fix the deploy", "teamwork, #care", True
    )

    answer = await world.slack.interaction(payload)
    await world.settle()

    body = answer.json()
    assert body["response_action"] == "update"
    assert "Your thanks to Bob and Carol is recorded" in str(body["view"]["blocks"])
    [kudos] = await world.kudos()
    assert kudos.recipient_ids == ("UBOB", "UCAROL") and kudos.giver_id == "UALICE"
    assert (kudos.tags, kudos.unprompted) == (("teamwork", "care"), True)
    [public] = [c for c in world.fake.posted() if c.args["channel"] == "CGENERAL"]
    assert "<@UBOB>" in public.args["text"] and "without being asked" in public.args["text"]


async def test_without_a_channel_nothing_is_posted_in_public(world: SlackWorld) -> None:
    payload = kudos_submission(world, ["UBOB"], "Stayed late to fix the deploy", share_in=None)

    await world.slack.interaction(payload)
    await world.settle()

    assert await world.kudos_count() == 1
    assert [c.args["channel"] for c in world.fake.posted()] == ["DUBOB"]


async def test_submitting_the_same_form_twice_records_it_once(world: SlackWorld) -> None:
    payload = kudos_submission(world, ["UBOB"], "Stayed late to fix the deploy")

    await world.slack.interaction(payload)
    again = await world.slack.interaction(payload)

    assert "Already recorded" in str(again.json()["view"])
    assert await world.kudos_count() == 1


@pytest.mark.parametrize(
    ("recipients", "reason", "values", "field", "message"),
    [
        ([], "Stayed late to fix the deploy", "", "recipients", "at least one person"),
        (["UALICE"], "Stayed late to fix the deploy", "", "recipients", "Thanking yourself"),
        (["UHELPERBOT"], "Ran the nightly report", "", "recipients", "Helper Bot is a bot"),
        (["UGONE"], "Helped a lot last year", "", "recipients", "isn't a member"),
        ([f"U{i:03d}X" for i in range(11)], "The big launch", "", "recipients", "at most 10"),
        (["UBOB"], "Stayed late to fix the deploy", "team work!!", "values", "not a value"),
        (["UBOB"], "Stayed late", "a b c d e f", "values", "at most 5 values"),
        (["UBOB"], "   ", "", "reason", "in your own words"),
        (["UBOB"], "thanks", "", "reason", "at least 10 characters"),
        (["UBOB"], "\u200b" * 20, "", "reason", "at least 10 characters"),
    ],
)
async def test_mistakes_show_under_their_field_and_store_nothing(
    world: SlackWorld,
    recipients: list[str],
    reason: str,
    values: str,
    field: str,
    message: str,
) -> None:
    answer = await world.slack.interaction(kudos_submission(world, recipients, reason, values))
    await world.settle()

    body = answer.json()
    assert body["response_action"] == "errors"
    assert message in body["errors"][field]
    assert await world.kudos_count() == 0
    assert world.fake.posted() == []


async def test_the_offer_form_makes_an_offer_or_says_what_is_wrong(world: SlackWorld) -> None:
    refused = await world.slack.interaction(offer_submission("hi"))
    made = await world.slack.interaction(offer_submission("I can review <b>Terraform</b> plans"))
    listed = await world.slack.command("/offer", "list terraform")

    assert refused.json()["response_action"] == "errors"
    assert "What would you like to offer?" in refused.json()["errors"]["offer"]
    assert made.json()["response_action"] == "update"
    assert "Offer #1 is open" in str(made.json()["view"])
    assert "I can review &lt;b&gt;Terraform&lt;/b&gt; plans" in listed.message
