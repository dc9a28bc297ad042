"""Requests in a shape Slack never sends, refused (400) before bolt or a listener reads them.

Slack's payloads always carry the workspace and the user as strings, and nested objects as
objects; bolt and the listeners rely on that. A body that breaks it is refused in one place
rather than crashing whatever reads it first.
"""

from __future__ import annotations

from typing import Any

_INTERACTIVE = {"shortcut", "message_action", "block_actions", "view_submission", "view_closed"}
_NEEDS_TRIGGER = {"shortcut", "message_action", "block_actions"}
# Event fields the listeners read, when present, and what they must be.
_EVENT_STRINGS = ("type", "user", "item_user", "reaction", "tab", "bot_id", "subtype")
_ITEM_STRINGS = ("type", "channel", "ts")


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _object_with_id(value: Any) -> bool:
    return isinstance(value, dict) and _text(value.get("id"))


def _optional(container: dict[str, Any], key: str, kind: type) -> bool:
    """Absent, null, or of that type."""
    return container.get(key) is None or isinstance(container[key], kind)


def _slash_command(body: dict[str, Any]) -> str | None:
    for key in ("team_id", "user_id", "command", "trigger_id"):
        if not _text(body.get(key)):
            return f"a slash command without {key}"
    if not all(_optional(body, key, str) for key in ("text", "channel_id", "response_url")):
        return "a slash command with a field that is not text"
    return None


def _interaction(kind: str, body: dict[str, Any]) -> str | None:
    if not _object_with_id(body.get("team")) and not _object_with_id(body.get("view")):
        return f"a {kind} without its workspace"
    if not _object_with_id(body.get("user")):
        return f"a {kind} without its user"
    if kind in _NEEDS_TRIGGER and not _text(body.get("trigger_id")):
        return f"a {kind} without a trigger_id"
    if not all(_optional(body, key, dict) for key in ("message", "channel", "container")):
        return f"a {kind} with a field that is not an object"
    if kind.startswith("view_"):
        view = body.get("view")
        if not isinstance(view, dict) or not (_text(view.get("id")) and _text(view.get("type"))):
            return f"a {kind} without its view"
        state = view.get("state", {})
        values = state.get("values", {}) if isinstance(state, dict) else None
        if not isinstance(values, dict) or not all(
            isinstance(block, dict) and all(isinstance(v, dict) for v in block.values())
            for block in values.values()
        ):
            return f"a {kind} whose state is not a form's"
    if kind == "block_actions" and not (
        isinstance(body.get("actions"), list) and all(isinstance(a, dict) for a in body["actions"])
    ):
        return "block actions without a list of actions"
    return None


def _event(body: dict[str, Any]) -> str | None:
    event = body.get("event")
    if not isinstance(event, dict) or not _text(event.get("type")):
        return "an event callback without an event"
    if not _optional(body, "team_id", str) or not _optional(body, "event_id", str):
        return "an event callback whose ids are not text"
    if not all(_optional(event, key, str) for key in _EVENT_STRINGS):
        return "an event with a field that is not text"
    item = event.get("item", {})
    if not isinstance(item, dict) or not all(_optional(item, key, str) for key in _ITEM_STRINGS):
        return "an event whose item is not a message reference"
    return None


def malformed(body: Any) -> str | None:
    """Why Slack would never send this body, or None when it has Slack's shape."""
    if not isinstance(body, dict):
        return "a body that is not an object"
    if "command" in body:
        return _slash_command(body)
    kind = body.get("type")
    if kind in _INTERACTIVE:
        return _interaction(str(kind), body)
    if kind == "event_callback":
        return _event(body)
    return None
