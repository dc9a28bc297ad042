"""Cleaning of user-typed text, shared by every command."""

from __future__ import annotations

import re
import unicodedata

# Zero-width and bidirectional-control characters hide or reorder text: never keep them.
_INVISIBLE = re.compile(
    "[\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad\u180e\u034f]"
)
# ...except joiners inside a word: they build emoji (woman, ZWJ, laptop: one "technologist")
# and shape Persian or Indic script.
_JOINERS = "\u200c\u200d"
_STRAY_JOINERS = re.compile(f"(?<!\\S)[{_JOINERS}]+|[{_JOINERS}]+(?!\\S)")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """Drop control, bidi and zero-width characters (joiners inside a word stay); collapse
    whitespace; NFC-normalise."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = "".join(
        ch if ch in "\n\t" + _JOINERS or unicodedata.category(ch)[0] != "C" else " " for ch in text
    )
    return _SPACES.sub(" ", _STRAY_JOINERS.sub("", text)).strip()


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"
