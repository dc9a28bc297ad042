"""Modals and the App Home tab as Block Kit."""

from __future__ import annotations

from typing import Any

from adapters.slack.markup import escape, truncate
from bot.handlers.kudos import MAX_REASON, MAX_RECIPIENTS
from bot.handlers.offers import MAX_OFFER

KUDOS_FORM = "kudos_form"
OFFER_FORM = "offer_form"
THANK_AUTHOR_SHORTCUT = "thank_author"
THANK_SOMEONE_SHORTCUT = "thank_someone"
HOME_THANK = "home_thank"
HOME_OFFER = "home_offer"

# block_id / action_id of each input, read back from view.state.values on submission.
RECIPIENTS = ("recipients", "users")
REASON = ("reason", "text")
VALUES = ("values", "text")
UNPROMPTED = ("unprompted", "flag")
SHARE_IN = ("share_in", "conversation")
OFFER_TEXT = ("offer", "text")

View = dict[str, Any]


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _input(
    ids: tuple[str, str],
    label: str,
    element: dict[str, Any],
    optional: bool = False,
    hint: str | None = None,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": ids[0],
        "label": _plain(label),
        "element": {**element, "action_id": ids[1]},
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def kudos_modal(recipient: str | None = None, channel: str | None = None) -> View:
    """The thank-you form; from a message shortcut, the author and channel come prefilled."""
    users: dict[str, Any] = {
        "type": "multi_users_select",
        "placeholder": _plain("Choose the people who helped"),
        "max_selected_items": MAX_RECIPIENTS,
    }
    if recipient:
        users["initial_users"] = [recipient]
    share: dict[str, Any] = {
        "type": "conversations_select",
        "placeholder": _plain("Where everyone can see it (optional)"),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
        "response_url_enabled": True,
    }
    if channel:
        share["initial_conversation"] = channel
    else:
        share["default_to_current_conversation"] = True
    return {
        "type": "modal",
        "callback_id": KUDOS_FORM,
        "title": _plain("Thank someone"),
        "submit": _plain("Send thanks"),
        "close": _plain("Cancel"),
        "blocks": [
            _input(RECIPIENTS, "Who helped?", users),
            _input(
                REASON,
                "What did they do?",
                {
                    "type": "plain_text_input",
                    "multiline": True,
                    "max_length": MAX_REASON,
                    "placeholder": _plain("In your own words: what they did, and what it meant"),
                },
            ),
            _input(
                VALUES,
                "Values",
                {
                    "type": "plain_text_input",
                    "max_length": 200,
                    "placeholder": _plain("teamwork, mentoring"),
                },
                optional=True,
                hint="Up to 5, separated by commas or spaces.",
            ),
            _input(
                UNPROMPTED,
                "Unprompted?",
                {
                    "type": "checkboxes",
                    "options": [
                        {"text": _plain("They helped without being asked"), "value": "unprompted"}
                    ],
                },
                optional=True,
            ),
            _input(SHARE_IN, "Share the thank-you in", share, optional=True),
        ],
    }


def offer_modal() -> View:
    return {
        "type": "modal",
        "callback_id": OFFER_FORM,
        "title": _plain("Offer help"),
        "submit": _plain("Offer"),
        "close": _plain("Cancel"),
        "blocks": [
            _input(
                OFFER_TEXT,
                "What can you help with?",
                {
                    "type": "plain_text_input",
                    "multiline": True,
                    "max_length": MAX_OFFER,
                    "placeholder": _plain("I can pair on SQL query tuning"),
                },
                hint="Anyone can take you up on it. It stays open for 30 days.",
            )
        ],
    }


def message_modal(title: str, text: str) -> View:
    """A modal that only says something (a submission's outcome)."""
    return {
        "type": "modal",
        "title": _plain(title[:24]),
        "close": _plain("Done"),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": truncate(escape(text), 3000)}}
        ],
    }


def home_view(summary: str, offers: str) -> View:
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": _plain("Smart Connections")},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "Thank people for their help, offer yours, and see it celebrated "
                    "in the weekly digest.",
                },
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": HOME_THANK,
                        "text": _plain("Thank someone"),
                        "style": "primary",
                    },
                    {"type": "button", "action_id": HOME_OFFER, "text": _plain("Offer help")},
                ],
            },
            {"type": "divider"},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": truncate(escape(summary), 3000)},
            },
            {"type": "divider"},
            {"type": "section", "text": {"type": "mrkdwn", "text": truncate(escape(offers), 3000)}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "`/kudos @name for …` · `/offer …` · `/connections help`",
                    }
                ],
            },
        ],
    }


def state_value(view: dict[str, Any], ids: tuple[str, str]) -> dict[str, Any]:
    values = view.get("state", {}).get("values", {})
    return dict(values.get(ids[0], {}).get(ids[1], {}) or {})
