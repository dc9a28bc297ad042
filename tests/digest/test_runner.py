"""The scheduler on the real store: late posting within the grace, skipping beyond it,
retries with backoff, timeouts, crashed claims, pauses and schedule changes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.bootstrap import Store
from bot.commands import PauseDigest, ResumeDigest, SetDigestSchedule
from bot.digest.model import Digest, DigestRecord, PostKey
from bot.digest.publisher import DeliveryPolicy, DigestDelivery, DigestPublisher
from bot.digest.routing import RoutingPoster
from bot.digest.runner import DigestRunner
from bot.digest.scheduler import DigestScheduler
from bot.domain import Actor, Community
from bot.handlers.context import Ports
from bot.service import ConnectionsService
from tests.digest.support import COMMUNITY, DUE, WEEK_START, RecordingPoster, Seed, wire
from tests.fakes import FakeDirectory, FixedClock, RecordingNotifier

MINUTE = timedelta(minutes=1)
ADMIN = Actor(community_id=COMMUNITY, member_id="ada", display_name="Ada", is_platform_admin=True)


async def run_process(
    store: Store,
    clock: FixedClock,
    poster: RecordingPoster,
    worker: str,
    policy: DeliveryPolicy | None = None,
) -> None:
    """A bot process's digest scheduler: started (it ticks at once), a few ticks, stopped."""
    scheduler = DigestScheduler(
        wire(store.uow, clock, poster, policy=policy, worker_id=worker), tick_seconds=0.05
    )
    scheduler.start()
    try:
        async with asyncio.timeout(10):
            while scheduler.ticks < 2:  # noqa: ASYNC110 (polling the scheduler's counter)
                await asyncio.sleep(0.01)
    finally:
        await scheduler.stop()


async def community(store: Store) -> Community:
    async with store.uow() as uow:
        found = await uow.communities.get(COMMUNITY)
    assert found is not None
    return found


async def record(store: Store, community_id: str = COMMUNITY) -> DigestRecord | None:
    async with store.uow() as uow:
        return await uow.digests.get(community_id, WEEK_START)


async def seed_due_week(store: Store, clock: FixedClock) -> Seed:
    seed = Seed(store.uow)
    await seed.community(now=clock.now())
    await seed.members("Alice", "Bob")
    await seed.kudos("alice", "bob", at=WEEK_START + timedelta(days=2), unprompted=True)
    return seed


async def test_a_digest_missed_while_down_is_posted_once_three_hours_late(store: Store) -> None:
    clock = FixedClock(DUE - timedelta(hours=1))
    await seed_due_week(store, clock)
    poster = RecordingPoster(clock)
    await run_process(store, clock, poster, "before")  # stopped before the due time
    assert poster.posts == []

    clock.set(DUE + timedelta(hours=3))  # started again 3 hours after it
    await run_process(store, clock, poster, "after")
    clock.advance(minutes=5)
    await run_process(store, clock, poster, "again")

    [post] = poster.posts
    assert (post.digest.period_start, post.digest.period_end) == (WEEK_START, DUE)
    assert post.digest.kudos_count == 1
    stored = await record(store)
    assert stored is not None and stored.status == "posted" and stored.claimed_by == "after"
    assert (await community(store)).next_digest_due_at == DUE + timedelta(days=7)


async def test_a_digest_missed_by_three_days_is_skipped_and_the_next_one_scheduled(
    store: Store,
) -> None:
    clock = FixedClock(DUE - timedelta(hours=1))
    await seed_due_week(store, clock)
    poster = RecordingPoster(clock)
    clock.set(DUE + timedelta(days=3))
    await run_process(store, clock, poster, "late")
    assert poster.posts == []
    skipped = await record(store)
    assert skipped is not None and skipped.status == "skipped"
    assert skipped.last_error is not None and "missed" in skipped.last_error
    assert (await community(store)).next_digest_due_at == DUE + timedelta(days=7)

    clock.set(DUE + timedelta(days=7))
    await run_process(store, clock, poster, "next week")
    [post] = poster.posts
    assert (post.digest.period_start, post.digest.period_end) == (DUE, DUE + timedelta(days=7))


async def test_the_grace_is_configurable(store: Store) -> None:
    clock = FixedClock(DUE - timedelta(hours=1))
    await seed_due_week(store, clock)
    poster = RecordingPoster(clock)
    clock.set(DUE + timedelta(days=3))
    await run_process(store, clock, poster, "late", DeliveryPolicy.from_hours(96))
    assert len(poster.posts) == 1


async def test_a_failed_post_is_retried_with_backoff_and_never_blocks_others(
    store: Store,
) -> None:
    clock = FixedClock(DUE - timedelta(hours=1))
    await seed_due_week(store, clock)
    await Seed(store.uow, "console:other").community(now=clock.now())
    poster = RecordingPoster(clock, failures={COMMUNITY: 2})
    runner = wire(store.uow, clock, poster)

    clock.set(DUE)
    report = await runner.run_once()
    assert (report.posted, report.failed) == (1, 1)
    assert [p.community_id for p in poster.posts] == ["console:other"]
    failed = await record(store)
    assert failed is not None and failed.status == "failed" and failed.attempts == 1
    assert failed.last_error == "the platform answered 503"
    assert failed.next_attempt_at == DUE + MINUTE

    clock.set(DUE + 30 * timedelta(seconds=1))
    assert (await runner.run_once()).failed == 0  # not yet
    clock.set(DUE + MINUTE)
    await runner.run_once()
    again = await record(store)
    assert again is not None and again.attempts == 2
    assert again.next_attempt_at == DUE + 3 * MINUTE  # waits twice as long

    clock.set(DUE + 3 * MINUTE)
    assert (await runner.run_once()).posted == 1
    posted = await record(store)
    assert posted is not None and posted.status == "posted" and posted.attempts == 3
    assert [p.community_id for p in poster.posts] == ["console:other", COMMUNITY]
    assert poster.posts[1].digest.period_end == DUE  # still that week's digest


async def test_a_hanging_post_times_out_while_the_others_are_posted(store: Store) -> None:
    clock = FixedClock(DUE - timedelta(hours=1))
    await seed_due_week(store, clock)
    for i in range(5):
        await Seed(store.uow, f"console:fine{i}").community(now=clock.now())
    poster = RecordingPoster(clock, hanging={COMMUNITY})
    runner = wire(store.uow, clock, poster, policy=DeliveryPolicy(post_timeout=0.3))
    clock.set(DUE)
    report = await asyncio.wait_for(runner.run_once(), timeout=10)
    assert (report.posted, report.failed) == (5, 1)
    hung = await record(store)
    assert hung is not None and hung.status == "failed"
    assert hung.last_error == "the post took longer than 0.3 s"


async def test_a_post_that_keeps_failing_is_given_up_after_the_grace(store: Store) -> None:
    clock = FixedClock(DUE - timedelta(hours=1))
    await seed_due_week(store, clock)
    poster = RecordingPoster(clock, failures={COMMUNITY: 1000})
    runner = wire(store.uow, clock, poster, policy=DeliveryPolicy.from_hours(2))
    clock.set(DUE)
    while clock.now() < DUE + timedelta(hours=4):
        await runner.run_once()
        clock.advance(minutes=1)
    final = await record(store)
    assert final is not None and final.status == "failed" and final.next_attempt_at is None
    assert 5 <= final.attempts <= 8  # 1, 2, 4 ... minutes apart within the 2 hours
    assert poster.posts == [] and poster.attempts == final.attempts


async def test_an_undeliverable_digest_is_released_not_retried(store: Store) -> None:
    clock = FixedClock(DUE - timedelta(hours=1))
    await seed_due_week(store, clock)
    poster = RecordingPoster(clock, undeliverable=True)
    runner = wire(store.uow, clock, poster)
    clock.set(DUE)
    assert (await runner.run_once()).released == 1
    clock.advance(hours=2)
    await runner.run_once()
    released = await record(store)
    assert released is not None and released.status == "released"
    assert released.last_error == "no digest channel is set"
    assert poster.attempts == 1


async def test_a_claim_left_by_a_killed_process_is_posted_once_after_its_lease(
    store: Store,
) -> None:
    clock = FixedClock(DUE - timedelta(hours=1))
    await seed_due_week(store, clock)
    stuck = RecordingPoster(clock, hanging={COMMUNITY})
    clock.set(DUE)
    killed = asyncio.create_task(wire(store.uow, clock, stuck, worker_id="killed").run_once())
    async with asyncio.timeout(10):
        while stuck.attempts == 0:  # noqa: ASYNC110 (waiting for the post to start)
            await asyncio.sleep(0.01)
    killed.cancel()  # the process dies mid-post, its claim still held
    await asyncio.gather(killed, return_exceptions=True)

    poster = RecordingPoster(clock)
    lease = DeliveryPolicy().lease
    clock.set(DUE + lease - MINUTE)
    await wire(store.uow, clock, poster, worker_id="survivor").run_once()
    assert poster.posts == []  # the lease still holds
    clock.set(DUE + lease + MINUTE)
    await wire(store.uow, clock, poster, worker_id="survivor").run_once()
    await wire(store.uow, clock, poster, worker_id="another").run_once()
    assert len(poster.posts) == 1
    taken = await record(store)
    assert taken is not None and taken.status == "posted" and taken.claimed_by == "survivor"


async def kill_mid_post(store: Store, clock: FixedClock, poster: RecordingPoster) -> None:
    """A process claims the due digest and dies in the middle of posting it."""
    dying = asyncio.create_task(wire(store.uow, clock, poster, worker_id="killed").run_once())
    async with asyncio.timeout(10):
        while poster.attempts == 0:  # noqa: ASYNC110 (waiting for the post to start)
            await asyncio.sleep(0.01)
    dying.cancel()
    await asyncio.gather(dying, return_exceptions=True)


async def test_a_post_that_landed_before_its_process_died_is_not_posted_again(
    store: Store,
) -> None:
    clock = FixedClock(DUE - timedelta(hours=1))
    await seed_due_week(store, clock)
    platform = RecordingPoster(clock, stalled={COMMUNITY})  # takes the post, never answers
    clock.set(DUE)
    await kill_mid_post(store, clock, platform)
    assert len(platform.posts) == 1 and platform.lookups == []  # a fresh claim: no look-up

    platform.stalled.clear()
    clock.set(DUE + DeliveryPolicy().lease + MINUTE)
    report = await wire(store.uow, clock, platform, worker_id="survivor").run_once()

    assert report.posted == 1
    assert len(platform.posts) == 1  # found where it landed, not posted again
    [lookup] = platform.lookups
    assert lookup == platform.posts[0].key and lookup.claimed_at == DUE
    taken = await record(store)
    assert taken is not None and taken.status == "posted" and taken.claimed_by == "survivor"


async def test_a_platform_that_cannot_be_asked_gets_the_digest_again(store: Store) -> None:
    clock = FixedClock(DUE - timedelta(hours=1))
    await seed_due_week(store, clock)
    platform = RecordingPoster(clock, stalled={COMMUNITY}, blind=True)
    clock.set(DUE)
    await kill_mid_post(store, clock, platform)

    platform.stalled.clear()
    clock.set(DUE + DeliveryPolicy().lease + MINUTE)
    await wire(store.uow, clock, platform, worker_id="survivor").run_once()

    # Better twice than never: the members still get their week.
    assert len(platform.posts) == 2 and len(platform.lookups) == 1


async def test_a_post_whose_answer_was_lost_is_found_on_retry(store: Store) -> None:
    clock = FixedClock(DUE - timedelta(hours=1))
    await seed_due_week(store, clock)
    platform = RecordingPoster(clock, lost_answers={COMMUNITY: 1})
    runner = wire(store.uow, clock, platform)
    clock.set(DUE)
    assert (await runner.run_once()).failed == 1  # it landed, but we could not know

    clock.set(DUE + MINUTE)
    assert (await runner.run_once()).posted == 1

    assert len(platform.posts) == 1 and len(platform.lookups) == 1
    stored = await record(store)
    assert stored is not None and stored.status == "posted" and stored.attempts == 2


async def test_a_look_up_that_fails_is_retried_like_a_post(store: Store) -> None:
    clock = FixedClock(DUE - timedelta(hours=1))
    await seed_due_week(store, clock)

    class Unreachable(RecordingPoster):
        async def find_digest(self, community: Community, key: PostKey) -> bool:
            await super().find_digest(community, key)
            raise ConnectionError("the platform answered 503")

    platform = Unreachable(clock, failures={COMMUNITY: 1})
    runner = wire(store.uow, clock, platform)
    clock.set(DUE)
    await runner.run_once()
    clock.set(DUE + MINUTE)
    assert (await runner.run_once()).failed == 1

    stored = await record(store)
    assert stored is not None and stored.status == "failed" and stored.attempts == 2
    assert stored.next_attempt_at == DUE + 3 * MINUTE
    assert platform.posts == [] and platform.attempts == 1  # never posted blind


class SlowPlatform(RecordingPoster):
    """Each post takes 40 s of the clock's time."""

    async def post_digest(self, community: Community, digest: Digest, key: PostKey) -> None:
        await super().post_digest(community, digest, key)
        assert isinstance(self.clock, FixedClock)
        self.clock.advance(seconds=40)


async def test_a_claim_whose_lease_ran_low_in_the_queue_is_left_to_a_take_over(
    store: Store,
) -> None:
    clock = FixedClock(DUE - timedelta(hours=1))
    for name in ("a", "b", "c"):
        await Seed(store.uow, f"console:{name}").community(now=clock.now())
    platform = SlowPlatform(clock)
    policy = DeliveryPolicy(lease=timedelta(seconds=130), post_timeout=60)
    delivery = DigestDelivery(RoutingPoster({"console": platform}), policy, "one-slot")
    publisher = DigestPublisher(store.uow, delivery, clock)
    runner = DigestRunner(store.uow, publisher, clock, lambda: ("console",), concurrency=1)
    clock.set(DUE)

    first = await runner.run_once()

    # One post at a time, 40 s each: the third found 50 s of its 130 s lease left, less than
    # a post may take, so it did not start one another process could double after the lease.
    assert (first.posted, first.deferred) == (2, 1)
    assert len(platform.posts) == 2
    clock.set(DUE + timedelta(seconds=131))
    again = await runner.run_once()
    assert again.posted == 1 and len(platform.lookups) == 1
    assert sorted(p.community_id for p in platform.posts) == ["console:a", "console:b", "console:c"]


def test_a_lease_too_short_for_a_look_up_and_a_post_is_refused() -> None:
    with pytest.raises(ValueError, match="lease"):
        DeliveryPolicy(lease=timedelta(seconds=100), post_timeout=60)


def admin_service(store: Store, clock: FixedClock) -> ConnectionsService:
    return ConnectionsService(
        Ports(uow=store.uow, directory=FakeDirectory(), notifier=RecordingNotifier(), clock=clock)
    )


async def test_a_paused_community_gets_no_digest_and_resumes_with_the_next(store: Store) -> None:
    clock = FixedClock(DUE - timedelta(hours=1))
    await seed_due_week(store, clock)
    service = admin_service(store, clock)
    assert (await service.handle(ADMIN, PauseDigest())).ok
    poster = RecordingPoster(clock)
    runner = wire(store.uow, clock, poster)
    clock.set(DUE + MINUTE)
    await runner.run_once()
    assert poster.posts == [] and await record(store) is None
    clock.set(DUE + timedelta(days=2))
    assert (await service.handle(ADMIN, ResumeDigest())).ok
    await runner.run_once()  # the paused week is past the grace: skipped, not posted
    assert poster.posts == []
    clock.set(DUE + timedelta(days=7))
    await runner.run_once()
    assert [p.digest.period_end for p in poster.posts] == [DUE + timedelta(days=7)]


async def test_changing_the_schedule_moves_the_due_time(store: Store) -> None:
    clock = FixedClock(DUE - timedelta(days=2))  # Saturday
    await seed_due_week(store, clock)
    service = admin_service(store, clock)
    reply = await service.handle(ADMIN, SetDigestSchedule(2, "14:30", "Europe/Berlin"))
    assert reply.ok, reply.text
    wednesday = DUE + timedelta(days=2, hours=4, minutes=30)  # Wed 11 Mar 14:30 CET
    assert (await community(store)).next_digest_due_at == wednesday
    poster = RecordingPoster(clock)
    runner = wire(store.uow, clock, poster)
    clock.set(DUE + MINUTE)
    await runner.run_once()
    assert poster.posts == []
    clock.set(wednesday)
    await runner.run_once()
    assert [p.digest.period_end for p in poster.posts] == [wednesday]


async def test_only_communities_of_running_platforms_are_claimed(store: Store) -> None:
    clock = FixedClock(DUE - timedelta(hours=1))
    slack = await Seed(store.uow, "slack:T012AB").community(now=clock.now())
    poster = RecordingPoster(clock)
    clock.set(DUE + MINUTE)
    await wire(store.uow, clock, poster).run_once()  # a console-only process
    assert poster.posts == []
    async with store.uow() as uow:
        untouched = await uow.communities.get("slack:T012AB")
        assert await uow.digests.get("slack:T012AB", WEEK_START) is None
    assert untouched == slack
