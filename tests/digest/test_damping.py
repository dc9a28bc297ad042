"""Repetition damping: the same giver thanking the same person again within a day counts
once in the digest's numbers, givers and stories (summaries and exports keep every one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.bootstrap import Store
from bot.digest.builder import build_digest
from bot.digest.damping import damp_repeats
from bot.digest.model import Digest, GiverLine
from bot.domain import FORGOTTEN_MEMBER, Kudos
from tests.digest.support import DUE, WEEK_START, Seed

H = timedelta(hours=1)
T0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def k(giver: str, *to: str, at: datetime, id: int) -> Kudos:
    return Kudos("c", giver, to, "for the help", (), False, at, id=id)


def test_a_repeat_within_a_day_of_the_last_counted_one_is_dropped() -> None:
    week = [
        k("alice", "bob", at=T0, id=1),
        k("alice", "bob", at=T0 + 2 * H, id=2),  # repeat
        k("alice", "bob", at=T0 + 23 * H, id=3),  # still within a day of #1
        k("alice", "bob", at=T0 + 24 * H, id=4),  # a day after #1: counts
        k("alice", "bob", at=T0 + 30 * H, id=5),  # within a day of #4
    ]

    assert [x.id for x in damp_repeats(reversed(week))] == [1, 4]


def test_only_the_repeated_people_leave_a_kudos_to_many() -> None:
    damped = damp_repeats(
        [
            k("alice", "bob", at=T0, id=1),
            k("alice", "bob", "carol", at=T0 + H, id=2),
            k("bob", "alice", at=T0 + H, id=3),  # another pair: counts
            k("carol", "bob", at=T0 + 2 * H, id=4),  # another giver: counts
        ]
    )

    assert [(x.id, x.recipient_ids) for x in damped] == [
        (1, ("bob",)),
        (2, ("carol",)),
        (3, ("alice",)),
        (4, ("bob",)),
    ]


def test_erased_members_are_never_taken_for_one_person() -> None:
    week = [
        k(FORGOTTEN_MEMBER, "bob", at=T0, id=1),
        k(FORGOTTEN_MEMBER, "bob", at=T0 + H, id=2),
        k("alice", FORGOTTEN_MEMBER, at=T0, id=3),
        k("alice", FORGOTTEN_MEMBER, at=T0 + H, id=4),
    ]

    assert [x.id for x in damp_repeats(week)] == [1, 3, 2, 4]


async def build(store: Store) -> Digest:
    async with store.uow() as uow:
        community = await uow.communities.get("console:test")
        assert community is not None
        return (await build_digest(uow, community, WEEK_START, DUE)).digest


@pytest.fixture
async def seed(store: Store) -> Seed:
    seed = Seed(store.uow)
    await seed.community()
    await seed.members("Alice", "Bob", "Carol", "Dave")
    return seed


async def test_ten_thanks_to_a_friend_in_an_hour_count_once(store: Store, seed: Seed) -> None:
    for minute in range(10):
        await seed.kudos(
            "alice", "bob", at=WEEK_START + H + timedelta(minutes=minute), unprompted=True
        )
    await seed.kudos("carol", "dave", at=WEEK_START + 2 * H, unprompted=True)
    await seed.kudos("carol", "bob", at=WEEK_START + 3 * H)

    d = await build(store)

    assert (d.kudos_count, d.givers_count, d.receivers_count) == (3, 2, 2)
    assert d.unprompted_count == 2
    assert d.givers == (
        GiverLine("Carol", 2, first_time=True),  # thanked two people
        GiverLine("Alice", 1, first_time=True),  # ten thank-yous, one person
    )
    assert [s.giver_name for s in d.stories] == ["Alice", "Carol"]


async def test_a_repeat_across_the_start_of_the_week_is_dropped(store: Store, seed: Seed) -> None:
    await seed.kudos("alice", "bob", at=WEEK_START - 2 * H)  # last week's digest counted it
    await seed.kudos("alice", "bob", at=WEEK_START + H)  # a repeat within the day
    await seed.kudos("alice", "bob", at=WEEK_START + 30 * H)  # a day later: counts

    d = await build(store)

    assert d.kudos_count == 1


async def test_hidden_kudos_leave_the_numbers_and_the_stories(store: Store, seed: Seed) -> None:
    await seed.kudos("alice", "bob", at=WEEK_START + H, reason="for real help", unprompted=True)
    await seed.kudos(
        "carol", "dave", at=WEEK_START + H, reason="buy my course", unprompted=True, hidden=True
    )

    d = await build(store)

    assert (d.kudos_count, d.givers_count) == (1, 1)
    assert [s.reason for s in d.stories] == ["for real help"]
