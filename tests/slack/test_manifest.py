"""The app manifest declares what the code serves, so an app created from it just works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from adapters.slack import views
from adapters.slack.app import BOT_SCOPES
from adapters.slack.http_routes import EVENTS_PATH

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "slack" / "manifest.yml"


def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_commands_shortcuts_scopes_and_events_match_the_code() -> None:
    m = manifest()
    features, settings = m["features"], m["settings"]

    commands = {c["command"]: c for c in features["slash_commands"]}
    assert set(commands) == {"/kudos", "/offer", "/connections"}
    assert all(c["should_escape"] is True for c in commands.values())  # <@U…> mentions
    assert {s["callback_id"]: s["type"] for s in features["shortcuts"]} == {
        views.THANK_AUTHOR_SHORTCUT: "message",
        views.THANK_SOMEONE_SHORTCUT: "global",
    }
    assert set(m["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "reaction_added",
        "app_uninstalled",
        "tokens_revoked",
    }
    assert features["app_home"]["home_tab_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True


def test_every_request_url_is_the_one_endpoint() -> None:
    m = manifest()
    urls = [c["url"] for c in m["features"]["slash_commands"]]
    urls += [
        m["settings"]["event_subscriptions"]["request_url"],
        m["settings"]["interactivity"]["request_url"],
    ]

    assert all(url.endswith(EVENTS_PATH) for url in urls)
    assert m["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
    assert len(m["display_information"]["long_description"]) >= 175  # Slack's minimum
