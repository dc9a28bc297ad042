"""The fakes keep the promises of the real store: transactions, ids, unique keys, queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.digest.model import DigestRecord
from bot.domain import Community, Kudos, Offer
from bot.errors import DuplicateDeliveryError, StoreUnavailableError
from tests.fakes import DEFAULT_NOW, FakeDirectory, FakeStore, FixedClock, RecordingNotifier

C = "console:test"
NOW = DEFAULT_NOW


def kudos(giver: str, *recipients: str, at: datetime = NOW, reason: str = "a reason") -> Kudos:
    return Kudos(
        community_id=C,
        giver_id=giver,
        recipient_ids=recipients,
        reason=reason,
        tags=("craft",),
        unprompted=False,
        created_at=at,
        delivery_id=f"{giver}-{at.isoformat()}",
    )


def offer(owner: str, text: str, at: datetime = NOW, community_id: str = C) -> Offer:
    return Offer(
        community_id=community_id,
        owner_id=owner,
        text=text,
        created_at=at,
        expires_at=at + timedelta(days=30),
    )


async def test_commit_makes_changes_visible_and_leaving_without_it_discards_them() -> None:
    store = FakeStore()
    async with store.uow() as uow:
        await uow.communities.save(Community(id=C))
        await uow.kudos.add(kudos("alice", "bob"))
        await uow.commit()
    async with store.uow() as uow:
        await uow.communities.save(Community(id=C, paused=True))
        await uow.kudos.add(kudos("carol", "bob"))
    async with store.uow() as uow:
        community = await uow.communities.get(C)
        assert community is not None and not community.paused
        assert [k.giver_id for k in await uow.kudos.received_by(C, "bob")] == ["alice"]


async def test_an_exception_rolls_back() -> None:
    store = FakeStore()
    with pytest.raises(RuntimeError):
        async with store.uow() as uow:
            await uow.communities.save(Community(id=C))
            raise RuntimeError("boom")
    assert store.state.communities == {}


async def test_a_transaction_does_not_see_what_another_has_not_committed() -> None:
    store = FakeStore()
    async with store.uow() as first, store.uow() as second:
        await first.communities.save(Community(id=C))
        assert await second.communities.get(C) is None
        await first.commit()
        assert await second.communities.get(C) is None  # a snapshot, like REPEATABLE READ


async def test_ids_are_assigned_on_add_and_increase() -> None:
    store = FakeStore()
    async with store.uow() as uow:
        first = await uow.kudos.add(kudos("alice", "bob"))
        second = await uow.kudos.add(kudos("carol", "bob"))
        an_offer = await uow.offers.add(offer("alice", "I can help"))
        await uow.commit()
    assert (first.id, second.id, an_offer.id) == (1, 2, 1)


async def test_a_repeated_delivery_raises_even_across_transactions() -> None:
    store = FakeStore()
    async with store.uow() as uow:
        await uow.deliveries.record(C, "ev1", NOW)
        with pytest.raises(DuplicateDeliveryError):
            await uow.deliveries.record(C, "ev1", NOW)
        await uow.deliveries.record("console:other", "ev1", NOW)
        await uow.commit()
    async with store.uow() as late, store.uow() as racer:
        assert await late.deliveries.seen(C, "ev2") is False
        await racer.deliveries.record(C, "ev2", NOW)
        await racer.commit()
        with pytest.raises(DuplicateDeliveryError):
            await late.deliveries.record(C, "ev2", NOW)


async def test_search_is_open_offers_with_every_word_newest_first() -> None:
    store = FakeStore()
    async with store.uow() as uow:
        old = await uow.offers.add(offer("alice", "SQL tuning", at=NOW - timedelta(days=2)))
        new = await uow.offers.add(offer("bob", "Pairing on sql and Tuning"))
        same_time = await uow.offers.add(offer("carol", "sql TUNING talk"))
        await uow.offers.add(offer("dave", "sql only"))
        expired = await uow.offers.add(offer("erin", "sql tuning", at=NOW - timedelta(days=31)))
        closed = await uow.offers.add(offer("frank", "sql tuning"))
        await uow.offers.save(Offer(**{**closed.__dict__, "closed_at": NOW}))
        await uow.offers.add(offer("grace", "sql tuning", community_id="console:other"))

        found = await uow.offers.search(C, ["tuning", "SQL"], NOW, 0, 10)
        assert [o.id for o in found] == [same_time.id, new.id, old.id]
        assert expired.id not in [o.id for o in found]
        assert [o.id for o in await uow.offers.search(C, ["tuning", "sql"], NOW, 1, 1)] == [new.id]
        assert len(await uow.offers.search(C, [], NOW, 0, 10)) == 4
        assert await uow.offers.count_open(C, "frank", NOW) == 0
        assert await uow.offers.count_open(C, "alice", NOW) == 1


async def test_erasing_a_member_keeps_the_kudos_and_drops_their_identity() -> None:
    store = FakeStore()
    async with store.uow() as uow:
        gave = await uow.kudos.add(kudos("alice", "bob", "carol", reason="alice's words"))
        got = await uow.kudos.add(kudos("bob", "alice", "forgotten"))
        kept = await uow.kudos.add(kudos("bob", "carol"))
        await uow.kudos.erase_member(C, "alice", "forgotten")
        await uow.commit()
    table = store.state.kudos
    assert table[gave.id or 0].giver_id == "forgotten"
    assert (table[gave.id or 0].reason, table[gave.id or 0].tags) == ("", ())
    assert table[gave.id or 0].delivery_id is None
    assert table[gave.id or 0].recipient_ids == ("bob", "carol")
    assert table[got.id or 0].recipient_ids == ("forgotten",)
    assert table[got.id or 0].reason == "a reason"
    assert table[kept.id or 0] == kept


async def test_get_or_create_keeps_what_someone_else_stored() -> None:
    store = FakeStore()
    async with store.uow() as mine, store.uow() as theirs:
        await theirs.communities.save(Community(id=C, daily_kudos_limit=3))
        await theirs.commit()
        stored = await mine.communities.get_or_create(Community(id=C))
    assert stored.daily_kudos_limit == 3


async def test_due_communities_are_those_not_paused_and_past_their_time() -> None:
    store = FakeStore()
    async with store.uow() as uow:
        await uow.communities.save(Community(id="a", next_digest_due_at=NOW))
        await uow.communities.save(Community(id="b", next_digest_due_at=NOW - timedelta(hours=1)))
        await uow.communities.save(Community(id="c", next_digest_due_at=NOW + timedelta(seconds=1)))
        await uow.communities.save(Community(id="d", next_digest_due_at=NOW, paused=True))
        await uow.communities.save(Community(id="e"))
        assert [c.id for c in await uow.communities.due(NOW)] == ["b", "a"]
        assert await uow.communities.all_ids() == ["a", "b", "c", "d", "e"]


async def test_a_digest_period_is_claimed_once() -> None:
    store = FakeStore()
    async with store.uow() as one, store.uow() as two:
        assert await one.digests.claim(C, NOW, "replica-1", NOW)
        await one.commit()
        assert not await two.digests.claim(C, NOW, "replica-2", NOW)
    async with store.uow() as uow:
        record = await uow.digests.get(C, NOW)
        assert record is not None and record.claimed_by == "replica-1"
        failed = record.with_(status="failed", next_attempt_at=NOW + timedelta(minutes=5))
        await uow.digests.save(failed)
        assert await uow.digests.retryable(NOW) == []
        assert await uow.digests.retryable(NOW + timedelta(minutes=5)) == [failed]
        # Saving a record that was never claimed stores nothing.
        await uow.digests.save(DigestRecord(C, NOW + timedelta(days=7), "posted", "x", NOW))
        assert await uow.digests.get(C, NOW + timedelta(days=7)) is None


async def test_naive_datetimes_are_refused() -> None:
    store = FakeStore()
    async with store.uow() as uow:
        with pytest.raises(ValueError, match="timezone-aware"):
            await uow.kudos.add(kudos("alice", "bob", at=datetime(2025, 3, 3, 12)))


async def test_an_unavailable_store_refuses_to_start_a_transaction() -> None:
    store = FakeStore()
    store.unavailable = True
    with pytest.raises(StoreUnavailableError):
        async with store.uow():
            pass


async def test_directory_notifier_and_clock() -> None:
    directory = FakeDirectory()
    directory.add("bob")
    directory.add("robot", is_bot=True)
    bob, robot = await directory.lookup(C, "bob"), await directory.lookup(C, "robot")
    assert bob is not None and bob.display_name == "Bob" and not bob.is_bot
    assert robot is not None and robot.is_bot
    assert await directory.lookup(C, "stranger") is None

    notifier = RecordingNotifier()
    await notifier.kudos_received(kudos("alice", "bob"), "Alice")
    assert [n.giver_name for n in notifier.calls] == ["Alice"]

    clock = FixedClock(datetime(2025, 1, 1, tzinfo=UTC))
    assert clock.advance(hours=2) == clock.now() == datetime(2025, 1, 1, 2, tzinfo=UTC)
