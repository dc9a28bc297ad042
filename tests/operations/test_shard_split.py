"""Discord shards split across processes: DISCORD_SHARD_IDS with DISCORD_SHARD_COUNT."""

from __future__ import annotations

import pytest

from adapters.discord.app import parse_shard_ids


@pytest.mark.parametrize(
    ("ids", "count", "expected"),
    [("0-3", 8, [0, 1, 2, 3]), ("4,5,7", 8, [4, 5, 7]), (" 6 - 7 ".replace(" ", ""), 8, [6, 7])],
)
def test_a_replica_runs_the_shards_it_is_given(ids: str, count: int, expected: list[int]) -> None:
    assert parse_shard_ids(ids, count) == expected


@pytest.mark.parametrize(
    ("ids", "count", "message"),
    [
        ("0-3", None, "needs DISCORD_SHARD_COUNT"),
        (None, 4, "needs DISCORD_SHARD_IDS"),
        ("0-8", 8, "must be below"),
        ("a-b", 8, "must look like"),
        ("", 0, "needs DISCORD_SHARD_IDS"),
    ],
)
def test_wrong_shard_settings_say_what_to_fix(
    ids: str | None, count: int | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_shard_ids(ids, count)


def test_no_split_means_one_process_decides() -> None:
    assert parse_shard_ids(None, None) is None
