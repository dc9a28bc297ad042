"""A digest never repeats days an earlier posted digest of its community covered: after an
admin moves the schedule, or sends one early with `digest now`. On the real store (SQLite and
PostgreSQL), driven like a running bot: admin commands through the parser, scheduler ticks
with a fixed clock, posts recorded where the platform would show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from adapters.discord.digest_embeds import digest_embeds
from adapters.slack.digest_blocks import digest_blocks
from bot.bootstrap import Store
from bot.digest.model import DigestRecord
from bot.digest.publisher import DigestDelivery
from bot.digest.routing import RoutingPoster
from bot.digest.text import digest_text
from bot.domain import Actor, Community
from bot.handlers.context import Ports
from bot.handlers.digest import register_digest_commands
from bot.parsing import CONSOLE_SYNTAX, parse_connections
from bot.replies import Reply
from bot.service import ConnectionsService
from tests.digest.support import COMMUNITY, DUE, WEEK_START, RecordingPoster, Seed, wire
from tests.fakes import FakeDirectory, FixedClock, RecordingNotifier

H = timedelta(hours=1)
D = timedelta(days=1)
MONDAY_17 = DUE + 8 * H  # Mon 9 Mar 17:00 UTC
FRIDAY = DUE + 4 * D  # Fri 13 Mar 09:00 UTC


@dataclass
class Bot:
    """One community's bot: its admin's commands and its digest scheduler, on one store."""

    store: Store
    clock: FixedClock
    poster: RecordingPoster
    service: ConnectionsService
    seed: Seed

    async def admin(self, text: str) -> Reply:
        actor = Actor(COMMUNITY, "ada", "Ada", is_platform_admin=True)
        return await self.service.handle(actor, parse_connections(text, CONSOLE_SYNTAX))

    async def tick_at(self, at: datetime) -> None:
        self.clock.set(at)
        await wire(self.store.uow, self.clock, self.poster, worker_id="scheduler").run_once()

    async def record(self, period_start: datetime) -> DigestRecord | None:
        async with self.store.uow() as uow:
            return await uow.digests.get(COMMUNITY, period_start)

    async def community(self) -> Community:
        async with self.store.uow() as uow:
            found = await uow.communities.get(COMMUNITY)
        assert found is not None
        return found


@pytest.fixture
async def bot(store: Store) -> Bot:
    """Due Mondays 09:00 UTC; kudos on the Saturday before Monday 9 Mar's digest."""
    clock = FixedClock(WEEK_START)
    poster = RecordingPoster(clock)
    directory = FakeDirectory()
    directory.add("ada", "Ada", is_platform_admin=True)
    service = ConnectionsService(
        Ports(uow=store.uow, directory=directory, notifier=RecordingNotifier(), clock=clock)
    )
    delivery = DigestDelivery(poster=RoutingPoster({"console": poster}), worker_id="command")
    register_digest_commands(service, delivery)
    seed = Seed(store.uow)
    await seed.community(now=WEEK_START)
    await seed.members("Alice", "Bob", "Carol")
    await seed.kudos(
        "alice", "bob", at=DUE - 2 * D, reason="for the weekend release rescue", unprompted=True
    )
    return Bot(store, clock, poster, service, seed)


async def test_moving_the_time_later_the_same_day_posts_no_second_digest(bot: Bot) -> None:
    await bot.tick_at(DUE)
    [monday] = bot.poster.posts
    assert (monday.digest.period_start, monday.digest.period_end) == (WEEK_START, DUE)
    assert monday.digest.kudos_count == 1

    bot.clock.set(DUE + H)
    reply = await bot.admin("admin digest schedule mon 17:00 UTC")
    assert reply.ok, reply.text
    assert "Next one: Mon 09 Mar 17:00 UTC" in reply.text
    await bot.seed.kudos("carol", "alice", at=DUE + 3 * H, reason="for the pairing session")

    await bot.tick_at(MONDAY_17)
    assert len(bot.poster.posts) == 1  # the week Monday's digest celebrated is not repeated
    skipped = await bot.record(WEEK_START + 8 * H)
    assert skipped is not None and skipped.status == "skipped"
    assert skipped.last_error == "covered by the digest posted at Mon 09 Mar 09:00 UTC"
    assert (await bot.community()).next_digest_due_at == MONDAY_17 + 7 * D

    # The next one takes up where Monday's left off: the afternoon's kudos are not lost.
    await bot.tick_at(MONDAY_17 + 7 * D)
    [_, next_week] = bot.poster.posts
    assert (next_week.digest.period_start, next_week.digest.period_end) == (
        DUE,
        MONDAY_17 + 7 * D,
    )
    assert next_week.digest.kudos_count == 1  # Carol's, not Alice's again
    assert [g.name for g in next_week.digest.givers] == ["Carol"]


async def test_moving_to_friday_covers_only_the_days_since_mondays_digest(bot: Bot) -> None:
    await bot.tick_at(DUE)
    assert len(bot.poster.posts) == 1

    bot.clock.set(DUE + D)  # Tuesday
    assert (await bot.admin("admin digest schedule fri 09:00")).ok
    await bot.seed.kudos(
        "carol", "bob", at=DUE + 2 * D, reason="for reviewing my design doc", unprompted=True
    )

    await bot.tick_at(FRIDAY)
    [_, friday] = bot.poster.posts
    digest = friday.digest
    assert (digest.period_start, digest.period_end) == (DUE, FRIDAY)
    # Saturday's rescue was Monday's story; Friday's is only Wednesday's review.
    assert digest.kudos_count == 1 and digest.unprompted_count == 1
    assert [s.reason for s in digest.stories] == ["for reviewing my design doc"]
    # Every platform labels the days it covers, Monday to Friday, not the week before Friday.
    assert "Weekly digest · 9–13 Mar 2026" in digest_text(digest)
    assert digest_embeds(digest)[0].title is not None
    assert digest_embeds(digest)[0].title.endswith("· 9 – 13 Mar 2026")
    assert digest_blocks(digest)[0]["text"]["text"].endswith("week of 9 March 2026")

    await bot.tick_at(FRIDAY + 7 * D)  # then whole weeks again, Friday to Friday
    assert [(p.digest.period_start, p.digest.period_end) for p in bot.poster.posts[2:]] == [
        (FRIDAY, FRIDAY + 7 * D)
    ]


async def test_digest_now_just_after_the_scheduled_one_is_refused(bot: Bot) -> None:
    await bot.tick_at(DUE)
    bot.clock.set(DUE + 5 * 60 * timedelta(seconds=1))
    reply = await bot.admin("admin digest now")
    assert not reply.ok
    assert reply.text == (
        "The last digest (posted Mon 09 Mar 09:00 UTC) covers the days up to Mon 09 Mar 09:00 "
        "UTC: less than a day has passed since, so there is nothing new to post yet. The next "
        "one is due Mon 16 Mar 09:00 UTC."
    )
    assert len(bot.poster.posts) == 1
    assert await bot.record(DUE) is None  # next week's digest was not taken

    await bot.tick_at(DUE + 7 * D)  # so it comes as scheduled
    assert [(p.digest.period_start, p.digest.period_end) for p in bot.poster.posts[1:]] == [
        (DUE, DUE + 7 * D)
    ]


async def test_digest_now_midweek_covers_the_days_since_the_last_digest(bot: Bot) -> None:
    await bot.tick_at(DUE)
    await bot.seed.kudos("carol", "alice", at=DUE + D, reason="for the pairing session")
    bot.clock.set(DUE + 2 * D)  # Wednesday
    reply = await bot.admin("admin digest now")
    assert reply.ok, reply.text
    [_, early] = bot.poster.posts
    assert (early.digest.period_start, early.digest.period_end) == (DUE, DUE + 2 * D)
    assert early.digest.kudos_count == 1 and [g.name for g in early.digest.givers] == ["Carol"]


async def test_the_preview_shows_what_digest_now_would_post(bot: Bot) -> None:
    await bot.tick_at(DUE)
    bot.clock.set(DUE + 2 * D)
    reply = await bot.admin("admin digest preview")
    assert reply.ok and reply.digest is not None
    assert (reply.digest.period_start, reply.digest.period_end) == (DUE, DUE + 2 * D)
    assert reply.digest.kudos_count == 0  # Saturday's kudos went out on Monday
    assert "9–11 Mar 2026" in reply.text


async def test_a_digest_posted_before_ends_were_stored_counts_as_its_whole_week(
    store: Store,
) -> None:
    # Berlin moves its clocks forward on Sunday 29 Mar 2026: that week is 167 hours long.
    before_dst = datetime(2026, 3, 23, 8, tzinfo=UTC)  # Mon 23 Mar 09:00 CET
    after_dst = datetime(2026, 3, 30, 7, tzinfo=UTC)  # Mon 30 Mar 09:00 CEST
    clock = FixedClock(after_dst + H)
    seed = Seed(store.uow)
    await seed.community(now=clock.now(), timezone="Europe/Berlin")
    await seed.members("Alice", "Bob")
    async with store.uow() as uow:  # posted by a version that did not store its end
        assert await uow.digests.claim(COMMUNITY, before_dst, "old-version", after_dst)
        await uow.digests.save(
            DigestRecord(COMMUNITY, before_dst, "posted", "old-version", after_dst, 1, after_dst)
        )
        await uow.commit()
    await seed.kudos("alice", "bob", at=after_dst + 30 * 60 * timedelta(seconds=1))

    poster = RecordingPoster(clock)
    clock.set(after_dst + 7 * D)
    await wire(store.uow, clock, poster).run_once()
    [post] = poster.posts
    # Its week ended at Monday's local 09:00 (07:00 UTC), not 7 times 24 hours after it began.
    assert (post.digest.period_start, post.digest.period_end) == (after_dst, after_dst + 7 * D)
    assert post.digest.kudos_count == 1
