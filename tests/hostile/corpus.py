"""The hostile-input corpus (corpus.json) and the commands every text input is fed to."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).with_name("corpus.json")

# Entries fed to one path only; every other entry is text fed to every command everywhere.
SLACK_HTTP = "slack_http"
DISCORD_INTERACTION = "discord_interaction"


@dataclass(frozen=True)
class Entry:
    id: str
    category: str
    text: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@cache
def entries() -> tuple[Entry, ...]:
    loaded = json.loads(CORPUS.read_text(encoding="utf-8"))["entries"]
    return tuple(
        Entry(
            id=e["id"], category=e["category"], text=e.get("text", "") * e.get("repeat", 1), raw=e
        )
        for e in loaded
    )


def text_entries() -> list[Entry]:
    return [e for e in entries() if e.category not in (SLACK_HTTP, DISCORD_INTERACTION)]


def slack_http_entries() -> list[Entry]:
    return [e for e in entries() if e.category == SLACK_HTTP]


def discord_entries() -> list[Entry]:
    return [e for e in entries() if e.category == DISCORD_INTERACTION]


@dataclass(frozen=True)
class Template:
    """One command of the text grammar with the input in it: `{x}` is the input, `{to}` a
    member who may be thanked. `admin`: sent by an admin (else by an ordinary member)."""

    command: str  # "kudos" | "offer" | "connections"
    text: str
    admin: bool = False

    def fill(self, x: str, to: str) -> str:
        return self.text.replace("{to}", to).replace("{x}", x)

    @property
    def name(self) -> str:
        return f"/{self.command} {self.text}"


TEXT_TEMPLATES = (
    Template("kudos", "{x}"),
    Template("kudos", "{to} {x}"),
    Template("offer", "{x}"),
    Template("offer", "list {x}"),
    Template("offer", "close {x}"),
    Template("connections", "{x}"),
    Template("connections", "admin {x}", admin=True),
    Template("connections", "admin prompt add {x}", admin=True),
    Template("connections", "admin digest schedule mon 09:00 {x}", admin=True),
    Template("connections", "admin hide {x}", admin=True),
)
