"""What the adapter writes, without a connection: escaping, message splitting, embeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord.gateway
import discord.http
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.discord.admin_commands import matching_zones
from adapters.discord.app import parse_shards
from adapters.discord.digest_embeds import MAX_TOTAL, EmbedSpec, digest_embeds, fit, week_label
from adapters.discord.endpoints import point_at
from adapters.discord.member_commands import split_values
from adapters.discord.render import announcement, escape, recipients_only, reply_chunks
from bot.digest.model import Digest, GiverLine, OfferLine, Story
from bot.replies import KudosAnnouncement


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("@everyone and @here", "@\u200beveryone and @\u200bhere"),
        ("<@123456789012345678>", "<@\u200b123456789012345678>"),
        ("<@&1> <@!2>", "<@\u200b&1> <@\u200b!2>"),
        (
            "**bold** _it_ `code` ~~s~~ ||spoiler||",
            "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~ \\|\\|spoiler\\|\\|",
        ),
        ("# Heading", "\\# Heading"),
        ("[click](https://evil.example)", "\\[click](https://evil.example)"),
        ("café 🧑\u200d💻", "café 🧑\u200d💻"),
    ],
)
def test_user_text_is_shown_as_typed(typed: str, shown: str) -> None:
    assert escape(typed) == shown


@given(st.text(max_size=300))
def test_escaped_text_never_holds_a_mention(text: str) -> None:
    escaped = escape(text)
    assert "@everyone" not in escaped and "@here" not in escaped
    assert not any(
        escaped[i : i + 2] == "<@"
        and escaped[i + 2 : i + 3] in "0123456789!&"
        and escaped[i + 2 : i + 3] != ""
        for i in range(len(escaped))
    )


def test_every_field_of_the_thank_yous_allowed_mentions_is_set() -> None:
    allowed = recipients_only(["100000000000000003"])
    assert allowed.to_dict() == {"parse": [], "users": [100000000000000003]}
    assert (allowed.everyone, allowed.roles, allowed.replied_user) == (False, False, False)


def test_reply_chunks_split_at_line_ends_and_lose_nothing() -> None:
    lines = [f"line {i} " + "x" * 90 for i in range(60)]
    chunks = reply_chunks("\n".join(lines))
    assert len(chunks) > 1 and all(len(c) <= 2000 for c in chunks)
    assert "\n".join(chunks).split("\n") == lines


def test_a_single_huge_line_is_cut_into_pieces() -> None:
    chunks = reply_chunks("y" * 4500)
    assert [len(c) for c in chunks] == [2000, 2000, 500]


def test_reply_chunks_use_the_discord_spelling_of_commands() -> None:
    (text,) = reply_chunks("Try /connections admin digest resume or /connections forget confirm")
    assert text == "Try /connections-admin digest resume or /connections forget confirm:True"


def test_an_empty_reply_still_says_something() -> None:
    assert reply_chunks("  ") == ["Done."]


def test_the_thank_you_fits_one_message_whatever_the_reason() -> None:
    a = KudosAnnouncement(
        giver_id="1",
        giver_name="*" * 32,
        recipient_ids=tuple(str(10**17 + i) for i in range(10)),
        recipient_names=("x",) * 10,
        reason="*" * 1000,
        tags=("a",) * 5,
        unprompted=True,
    )
    text = announcement(a)
    assert len(text) <= 2000
    assert text.startswith("**" + "\\*" * 32 + "** thanked <@100000000000000000>")


@pytest.mark.parametrize(
    ("typed", "tags"),
    [
        (None, ()),
        ("", ()),
        ("teamwork, mentoring", ("teamwork", "mentoring")),
        ("  #care,,\tkindness\n", ("#care", "kindness")),
    ],
)
def test_values_are_split_on_spaces_and_commas(typed: str | None, tags: tuple[str, ...]) -> None:
    assert split_values(typed) == tags


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, (False, None)),
        ("", (False, None)),
        ("auto", (True, None)),
        (" AUTO ", (True, None)),
        ("4", (True, 4)),
    ],
)
def test_shard_settings(value: str | None, expected: tuple[bool, int | None]) -> None:
    assert parse_shards(value) == expected


@pytest.mark.parametrize("value", ["0", "-1", "many", "²"])
def test_bad_shard_settings(value: str) -> None:
    with pytest.raises(ValueError, match="DISCORD_SHARDS"):
        parse_shards(value)


def test_time_zone_suggestions() -> None:
    assert matching_zones("new york") == ["America/New_York"]
    assert len(matching_zones("")) == 25
    assert matching_zones("\u200b<@everyone>") == []


def test_week_labels_in_the_communitys_time_zone() -> None:
    start = datetime(2026, 12, 28, 8, 0, tzinfo=UTC)
    assert week_label(start, start + timedelta(days=7), "UTC") == "28 Dec 2026 – 4 Jan 2027"
    start = datetime(2026, 10, 26, 23, 30, tzinfo=UTC)  # already the 27th in Tokyo
    assert week_label(start, start + timedelta(days=7), "Asia/Tokyo") == "27 Oct – 3 Nov 2026"
    assert week_label(start, start + timedelta(days=7), "No/Such_Zone") == "26 Oct – 2 Nov 2026"


def test_fit_shortens_the_longest_pieces_first() -> None:
    specs = fit(
        [EmbedSpec(title="t", description="d" * 4096), EmbedSpec(title="u", description="e" * 3000)]
    )
    assert sum(s.length() for s in specs) <= MAX_TOTAL
    assert specs[1].description == "e" * 3000  # the shorter one kept whole
    assert specs[0].description.endswith("…")


def test_fit_drops_fields_only_when_shortening_cannot_help() -> None:
    spec = EmbedSpec(title="t" * 256, fields=[("n" * 256, "v" * 40) for _ in range(25)])
    (fitted,) = fit([spec])
    assert fitted.length() <= MAX_TOTAL
    assert 0 < len(fitted.fields) < 25


@given(
    names=st.lists(st.text(min_size=1, max_size=100), min_size=1, max_size=10),
    reasons=st.lists(st.text(min_size=1, max_size=1000), min_size=0, max_size=5),
    prompt=st.text(min_size=1, max_size=300),
)
def test_any_digest_fits_discords_limits(names: list[str], reasons: list[str], prompt: str) -> None:
    start = datetime(2026, 10, 26, tzinfo=UTC)
    digest = Digest(
        community_id="discord:1",
        period_start=start,
        period_end=start + timedelta(days=7),
        kudos_count=len(reasons),
        givers_count=1,
        receivers_count=1,
        unprompted_count=0,
        new_offers_count=0,
        one_way_share=0.5,
        stories=tuple(Story(names[0], tuple(names), r) for r in reasons),
        givers=tuple(GiverLine(n, 2, False) for n in names),
        offers=tuple(OfferLine(i, n, n * 5) for i, n in enumerate(names[:3])),
        prompt=prompt,
    )
    embeds = digest_embeds(digest)
    assert 1 <= len(embeds) <= 10
    assert sum(len(e) for e in embeds) <= 6000  # discord.py's own count of an embed
    for e in embeds:
        assert len(e.title or "") <= 256 and len(e.description or "") <= 4096
        assert all(len(f.name or "") <= 256 and 0 < len(f.value or "") <= 1024 for f in e.fields)


@pytest.mark.parametrize(
    ("setting", "base"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v10"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/api/v10"),
        ("http://127.0.0.1:8080/api/v9", "http://127.0.0.1:8080/api/v9"),
    ],
)
def test_the_api_address_setting(setting: str, base: str) -> None:
    point_at(setting, "ws://127.0.0.1:7878")
    assert base == discord.http.Route.BASE
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:7878"
