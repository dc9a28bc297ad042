"""Cleaning of user-typed text, shared by every command."""

from __future__ import annotations

import re
import unicodedata

# Zero-width and bidirectional-control characters hide or reorder text: never keep them.
_INVISIBLE = re.compile(
    "[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad\u180e\u034f]"
)
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """Drop control, zero-width and bidi characters; collapse whitespace; NFC-normalise."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return _SPACES.sub(" ", text).strip()


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"
