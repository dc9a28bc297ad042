"""The corpus itself: big enough, and covering every kind of bad input the issue names."""

from __future__ import annotations

from collections import Counter

from tests.hostile.corpus import (
    discord_entries,
    entries,
    slack_http_entries,
    text_entries,
)

# Every kind of bad input the suite promises to try.
REQUIRED_CATEGORIES = {
    "empty",
    "huge",
    "control",
    "zero_width",
    "bidi",
    "homoglyph",
    "emoji_only",
    "slack_broadcast",
    "discord_mention",
    "markup_injection",
    "fake_user",
    "bot_user",
    "self_mention",
    "sql_like",
    "number",
    "format_string",
    "unicode_edge",
    "command_confusion",
    "slack_http",
    "discord_interaction",
}


def test_the_corpus_holds_at_least_300_distinct_bad_inputs_of_every_kind() -> None:
    all_entries = entries()
    counts = Counter(e.category for e in all_entries)

    assert len(all_entries) >= 300
    assert len({e.id for e in all_entries}) == len(all_entries)
    assert set(counts) >= REQUIRED_CATEGORIES, REQUIRED_CATEGORIES - set(counts)
    assert all(counts[c] >= 5 for c in REQUIRED_CATEGORIES), counts


def test_it_holds_the_sizes_and_characters_it_claims() -> None:
    texts = {e.id: e.text for e in text_entries()}

    assert len(texts["huge-100k-letters"]) == 100 * 1024
    assert "" in texts.values() and "\x00" in "".join(texts.values())
    assert "\u202e" in texts["bidi-rlo"] and "<!channel>" in texts["slack-broadcast-00"]
    assert all(e.raw["expect"] in ("4xx", "2xx", "reply", "any") for e in slack_http_entries())
    assert all("data" in e.raw for e in discord_entries())
