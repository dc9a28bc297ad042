"""Interaction data as Discord sends it: slash commands with typed options, context menus
and a modal submit."""

from __future__ import annotations

from typing import Any

from tests.discord.fake_discord import TIMESTAMP, Channel, Guild, User

STRING, INTEGER, BOOLEAN, USER, CHANNEL = 3, 4, 5, 6, 7
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
COMMAND_ID = "600000000000000001"


def option(name: str, kind: int, value: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "value": value}


def text(name: str, value: str) -> dict[str, Any]:
    return option(name, STRING, value)


def number(name: str, value: int) -> dict[str, Any]:
    return option(name, INTEGER, value)


def flag(name: str, value: bool) -> dict[str, Any]:
    return option(name, BOOLEAN, value)


def member(name: str, user: User) -> dict[str, Any]:
    return option(name, USER, str(user.id))


def channel_option(name: str, channel: Channel) -> dict[str, Any]:
    return option(name, CHANNEL, str(channel.id))


def subcommand(name: str, *options: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "type": SUB_COMMAND, "options": list(options)}


def group(name: str, sub: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "type": SUB_COMMAND_GROUP, "options": [sub]}


def resolved(
    members: list[User] = (),  # type: ignore[assignment]
    outsiders: list[User] = (),  # type: ignore[assignment]
    channels: list[tuple[Guild, Channel]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """`members` are in the guild; `outsiders` are users Discord knows who are not."""
    data: dict[str, Any] = {"users": {}, "members": {}}
    for user in [*members, *outsiders]:
        data["users"][str(user.id)] = user.payload()
    for user in members:
        info = user.member_payload()
        info.pop("user")
        data["members"][str(user.id)] = {**info, "permissions": str(user.permissions)}
    if channels:
        data["channels"] = {
            str(c.id): {"id": str(c.id), "name": c.name, "type": c.type, "permissions": "0"}
            for _, c in channels
        }
    return data


def slash(
    name: str, *options: dict[str, Any], resolved_data: dict[str, Any] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"id": COMMAND_ID, "name": name, "type": 1, "options": list(options)}
    if resolved_data is not None:
        data["resolved"] = resolved_data
    return data


def user_menu(target: User, in_guild: bool = True) -> dict[str, Any]:
    return {
        "id": COMMAND_ID,
        "name": "Thank this member",
        "type": 2,
        "target_id": str(target.id),
        "resolved": resolved(members=[target]) if in_guild else resolved(outsiders=[target]),
    }


def message_menu(author: User, channel: Channel, message_id: int, content: str) -> dict[str, Any]:
    message = {
        "id": str(message_id),
        "channel_id": str(channel.id),
        "type": 0,
        "content": content,
        "author": author.payload(),
        "embeds": [],
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "flags": 0,
    }
    return {
        "id": COMMAND_ID,
        "name": "Thank the author",
        "type": 3,
        "target_id": str(message_id),
        "resolved": {"messages": {str(message_id): message}},
    }


def form_submit(
    custom_id: str, reason: str, values: str = "", unprompted: bool = False
) -> dict[str, Any]:
    """A submitted thank-you form: labels (type 18) around a text input (4) or checkbox (23)."""

    def labelled(component: dict[str, Any]) -> dict[str, Any]:
        return {"type": 18, "id": 1, "component": component}

    return {
        "custom_id": custom_id,
        "components": [
            labelled({"type": 4, "id": 2, "custom_id": "reason", "value": reason}),
            labelled({"type": 4, "id": 3, "custom_id": "values", "value": values}),
            labelled({"type": 23, "id": 4, "custom_id": "unprompted", "value": unprompted}),
        ],
    }
