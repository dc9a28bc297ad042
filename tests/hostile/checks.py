"""What every answer to a hostile input must satisfy, and how the tests observe it."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.discord.responder import SORRY
from adapters.slack.adapter import SOMETHING_WENT_WRONG

# Apologies mean the bot failed on its own side: a hostile input must never cause one.
APOLOGIES = (SOMETHING_WENT_WRONG, SORRY, "Traceback", "Exception")
MAX_REPLY = 45_000  # a reply is a message, not an echo of a 100 KB input

# Text Slack turns into a ping: any special mention, and the bare broadcast words (which
# Slack links when it parses names). A zero-width space after the @ keeps them inert.
SLACK_PING = re.compile(r"<!|(?<![\w.])@(?:channel|here|everyone)\b", re.IGNORECASE)
SLACK_USER_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
# A terminal obeys these: user text must never reach the console with them.
_TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass
class RecordingMetrics:
    """The Metrics port, recording how the core judged each command."""

    outcomes: list[tuple[str, str]] = field(default_factory=list)

    def command_handled(self, command: str, outcome: str) -> None:
        self.outcomes.append((command, outcome))

    def kudos_recorded(self, count: int = 1) -> None:
        return None

    def digest_finished(self, status: str, late: bool) -> None:
        return None

    def platform_call(self, platform: str, outcome: str) -> None:
        return None

    def database_seconds(self, seconds: float) -> None:
        return None

    def take(self) -> list[tuple[str, str]]:
        taken, self.outcomes = self.outcomes, []
        return taken


class Commits:
    """Whether anything was committed to a SQLite file since the last look: PRAGMA
    data_version changes whenever another connection commits a change."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(path, isolation_level=None)
        self._last = self._version()

    def _version(self) -> int:
        return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        version = self._version()
        changed, self._last = version != self._last, version
        return changed

    def close(self) -> None:
        self._connection.close()


def sqlite_path(database_url: str) -> Path:
    return Path(database_url.split("///", 1)[1])


def check_outcomes(outcomes: list[tuple[str, str]], what: str) -> bool:
    """True when the core refused; fails when it crashed or was unavailable."""
    assert outcomes, f"{what}: the core never answered"
    bad = [o for o in outcomes if o[1] in ("error", "unavailable")]
    assert not bad, f"{what}: {bad}"
    return all(outcome == "refused" for _, outcome in outcomes)


def check_clear(text: str, what: str) -> None:
    """A reply a person can read: words, no apology for a crash, not a wall of text."""
    assert text.strip(), f"{what}: an empty reply"
    assert len(text) <= MAX_REPLY, f"{what}: a reply of {len(text)} characters"
    for apology in APOLOGIES:
        assert apology not in text, f"{what}: {text[:300]!r}"


def check_terminal_safe(text: str, what: str) -> None:
    found = _TERMINAL_CONTROL.search(text)
    assert found is None, f"{what}: control character {found.group()!r} in {text[:200]!r}"
    for ch in text:
        assert unicodedata.category(ch) not in ("Cf", "Cs") or ch in "\u200b\u200c\u200d", (
            f"{what}: invisible {ch!r} in {text[:200]!r}"
        )


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


def slack_pings(value: Any) -> list[str]:
    return [s for s in strings_in(value) if SLACK_PING.search(s)]


def slack_mentioned(value: Any) -> set[str]:
    return {m for s in strings_in(value) for m in SLACK_USER_MENTION.findall(s)}
