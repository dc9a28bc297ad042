"""Each section of the digest, built from a seeded week in the real store (SQLite and
PostgreSQL): numbers, one-way share, stories, givers, offers, and who is never named."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.bootstrap import Store, open_store
from bot.digest.builder import BuiltDigest, build_digest
from bot.digest.model import GiverLine, OfferLine, Story
from bot.digest.text import QUIET_WEEK, digest_text
from bot.domain import FORGOTTEN_MEMBER
from bot.settings import Settings
from tests.databases import sqlite_url
from tests.digest.support import DUE, WEEK_START, Seed

H = timedelta(hours=1)
D = timedelta(days=1)


async def seed_week(seed: Seed) -> None:
    await seed.community()
    await seed.members("Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Heidi", "Ivan", "Zoë")
    await seed.members("Grace Hopper", opted_out=True)
    # Before the week: alice, carol and dave have given before; dave thanked carol 10 days
    # before the week, so carol's thanks back this week is not one-way.
    await seed.kudos("alice", "bob", at=WEEK_START - 20 * D)
    await seed.kudos("carol", "alice", at=WEEK_START - 30 * D)
    await seed.kudos("dave", "carol", at=WEEK_START - 10 * D)
    # The week (its first instant is in, its last is out).
    await seed.kudos(
        "dave", "erin", at=WEEK_START, reason="for covering my on-call", unprompted=True
    )
    await seed.kudos(
        "alice",
        "bob",
        "carol",
        at=WEEK_START + H,
        reason="for untangling the release script",
        unprompted=True,
    )
    await seed.kudos("bob", "alice", at=WEEK_START + 2 * H, reason="for the thorough review")
    await seed.kudos(
        "carol", "dave", at=WEEK_START + D, reason="for pairing on the flaky test", unprompted=True
    )
    await seed.kudos(
        "heidi",
        "erin",
        "frank",
        "alice",
        at=WEEK_START + D + H,
        reason="for onboarding me so kindly",
    )
    await seed.kudos(
        "grace hopper", "erin", at=WEEK_START + 2 * D, reason="for the docs", unprompted=True
    )
    await seed.kudos(
        "erin",
        "grace hopper",
        at=WEEK_START + 2 * D + H,
        reason="for the lovely docs fix",
        unprompted=True,
    )
    await seed.kudos(
        "alice", "zoë", at=WEEK_START + 3 * D, reason="for translating the guide", unprompted=True
    )
    await seed.kudos(FORGOTTEN_MEMBER, "bob", at=WEEK_START + 4 * D)
    await seed.kudos(
        "frank",
        "alice",
        at=WEEK_START + 4 * D,
        reason="buy my course!!!",
        unprompted=True,
        hidden=True,
    )
    await seed.kudos("ivan", "heidi", at=DUE, reason="for next week's help", unprompted=True)
    # Offers: take-up is kudos received since the offer was created.
    await seed.offer("bob", "I can pair on SQL tuning", at=DUE - 20 * D)  # bob: 2 since
    await seed.offer("frank", "Happy to review Terraform", at=DUE - 10 * D)  # frank: 1
    await seed.offer("zoë", "Je peux relire vos textes en français", at=DUE - 5 * D)  # zoë: 1
    await seed.offer("grace hopper", "I can help with docs", at=DUE - 2 * D)  # opted out
    await seed.offer("dave", "Closed already", at=DUE - 3 * D, closed=True)
    await seed.offer("ivan", "I can explain our deploy pipeline", at=DUE - D)  # ivan: 0
    await seed.offer("erin", "Expired long ago", at=DUE - 40 * D)


async def build(store: Store) -> BuiltDigest:
    async with store.uow() as uow:
        community = await uow.communities.get("console:test")
        assert community is not None
        return await build_digest(uow, community, WEEK_START, DUE)


@pytest.fixture
async def week(store: Store) -> BuiltDigest:
    await seed_week(Seed(store.uow))
    return await build(store)


async def test_numbers_count_the_week_only_without_hidden_kudos(week: BuiltDigest) -> None:
    d = week.digest
    assert (d.period_start, d.period_end) == (WEEK_START, DUE)
    assert d.kudos_count == 9  # the hidden one and the one at the due instant are out
    assert d.givers_count == 7  # dave alice bob carol heidi grace erin (not the tombstone)
    assert d.receivers_count == 8  # erin bob carol alice dave frank grace zoë
    assert d.unprompted_count == 6
    assert d.new_offers_count == 4  # zoë's, grace's, dave's (closed since) and ivan's
    assert not d.quiet


async def test_one_way_share_counts_thanks_not_returned_within_14_days(week: BuiltDigest) -> None:
    # 12 thank-yous (one per receiver); returned ones: bob->alice, carol->dave (dave thanked
    # carol 10 days before the week), erin->grace.
    assert week.digest.one_way_share == pytest.approx(9 / 12)


async def test_stories_are_unprompted_spread_over_people_and_name_nobody_opted_out(
    week: BuiltDigest,
) -> None:
    assert week.digest.stories == (
        Story("Dave", ("Erin",), "for covering my on-call"),
        Story("Alice", ("Bob", "Carol"), "for untangling the release script"),
        # alice is featured already, carol and dave both: the story with fewer repeats first.
        Story("Alice", ("Zoë",), "for translating the guide"),
        Story("Carol", ("Dave",), "for pairing on the flaky test"),
    )


async def test_givers_first_timers_first_by_distinct_people_mutual_pairs_once(
    week: BuiltDigest,
) -> None:
    assert week.digest.givers == (
        GiverLine("Heidi", 3, first_time=True),
        GiverLine("Alice", 3, first_time=False),  # bob, carol, zoë
        GiverLine("Dave", 1, first_time=False),  # thanked earlier in the week than carol
        GiverLine("Carol", 1, first_time=False),
    )
    # bob only thanked alice back and erin only thanked grace back: a mutual pair counts
    # once, for whoever thanked first, so neither is listed.


async def test_open_offers_least_taken_up_first_then_oldest(week: BuiltDigest) -> None:
    assert [(o.owner_name, o.text) for o in week.digest.offers] == [
        ("Ivan", "I can explain our deploy pipeline"),
        ("Frank", "Happy to review Terraform"),  # 1 kudos since, older than zoë's
        ("Zoë", "Je peux relire vos textes en français"),
    ]
    assert all(isinstance(o, OfferLine) and o.offer_id > 0 for o in week.digest.offers)


async def test_opted_out_and_forgotten_members_are_never_named(week: BuiltDigest) -> None:
    text = digest_text(week.digest)
    assert "Grace" not in text and "grace" not in text
    assert FORGOTTEN_MEMBER not in text
    assert "buy my course" not in text  # hidden by an admin
    names = {s.giver_name for s in week.digest.stories}
    names |= {n for s in week.digest.stories for n in s.receiver_names}
    names |= {g.name for g in week.digest.givers} | {o.owner_name for o in week.digest.offers}
    assert names == {"Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Heidi", "Ivan", "Zoë"}
    assert "@" not in text.replace("/kudos @name", "")  # display names, never mentions


async def test_a_quiet_week_gets_a_short_warm_post_with_the_prompt(store: Store) -> None:
    seed = Seed(store.uow)
    await seed.community()
    await seed.members("Alice", "Bob")
    await seed.kudos("alice", "bob", at=WEEK_START - 3 * D)  # last week's
    built = await build(store)
    d = built.digest
    assert d.quiet and d.kudos_count == 0
    assert d.stories == () and d.givers == () and d.one_way_share is None
    text = digest_text(d)
    assert QUIET_WEEK in text and d.prompt in text and "/kudos" in text
    assert "numbers" not in text and len(text.splitlines()) <= 6


async def test_the_week_is_read_through_the_created_at_index(tmp_path: Path) -> None:
    """The build's big read is the week's rows by (community_id, created_at). (The bench
    measures the same on PostgreSQL, where a tiny table would be scanned anyway.)"""
    async with (
        open_store(Settings(database_url=sqlite_url(tmp_path))) as sqlite_store,
        sqlite_store.engine.connect() as conn,
    ):
        plan = await conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT * FROM kudos WHERE community_id = 'c' "
            "AND created_at >= '2026-01-01' AND created_at < '2026-01-08' ORDER BY created_at, id"
        )
        details = " ".join(str(row[-1]) for row in plan)
    assert "ix_kudos_community_created" in details, details
