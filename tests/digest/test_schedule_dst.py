"""Due times across daylight-saving changes: CronTrigger's answers, the runner ticking
through the weeks, and the real AsyncIOScheduler firing at the instant."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.triggers.cron import CronTrigger

from bot.bootstrap import open_store
from bot.clock import SystemClock
from bot.digest.scheduler import DigestScheduler
from bot.digest.timing import first_due, following_due, week_start_of
from bot.domain import Community
from bot.settings import Settings
from tests.databases import sqlite_url
from tests.digest.support import RecordingPoster, Seed, wire
from tests.fakes import FakeStore, FixedClock

BERLIN = Community(
    id="console:berlin", digest_weekday=0, digest_time="09:00", timezone="Europe/Berlin"
)
NEW_YORK = Community(
    id="console:ny", digest_weekday=6, digest_time="02:30", timezone="America/New_York"
)
NY_AMBIGUOUS = Community(
    id="console:ny", digest_weekday=6, digest_time="01:30", timezone="America/New_York"
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def dues(community: Community, start: datetime, count: int) -> list[datetime]:
    found = [first_due(community, start)]
    while len(found) < count:
        found.append(following_due(community, found[-1]))
    return found


@pytest.mark.parametrize(
    ("community", "start", "expected"),
    [
        # Europe/Berlin springs forward on Sun 29 Mar 2026 and falls back on Sun 25 Oct 2026.
        (BERLIN, utc(2026, 3, 20), [utc(2026, 3, 23, 8), utc(2026, 3, 30, 7), utc(2026, 4, 6, 7)]),
        (
            BERLIN,
            utc(2026, 10, 13),
            [utc(2026, 10, 19, 7), utc(2026, 10, 26, 8), utc(2026, 11, 2, 8)],
        ),
        # New York springs forward at 02:00 on Sun 8 Mar 2026: 02:30 does not exist that day
        # and the digest comes at 03:30 EDT (the instant 02:30 EST would have been).
        (
            NEW_YORK,
            utc(2026, 2, 27),
            [utc(2026, 3, 1, 7, 30), utc(2026, 3, 8, 7, 30), utc(2026, 3, 15, 6, 30)],
        ),
        # ...and falls back at 02:00 on Sun 1 Nov 2026: 02:30 happens once, in EST.
        (
            NEW_YORK,
            utc(2026, 10, 23),
            [utc(2026, 10, 25, 6, 30), utc(2026, 11, 1, 7, 30), utc(2026, 11, 8, 7, 30)],
        ),
        # 01:30 happens twice on that night; the digest still comes once, the first time.
        (
            NY_AMBIGUOUS,
            utc(2026, 10, 23),
            [utc(2026, 10, 25, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 8, 6, 30)],
        ),
    ],
)
def test_due_times_across_dst_changes(
    community: Community, start: datetime, expected: list[datetime]
) -> None:
    found = dues(community, start, len(expected))
    assert found == expected
    zone = ZoneInfo(community.timezone)
    for due in found:
        local = due.astimezone(zone)
        assert local.weekday() == community.digest_weekday
    # Each week starts where the one before ended: nothing counted twice, nothing lost.
    for before, after in itertools.pairwise(found):
        assert week_start_of(after, community) == before


def test_cron_trigger_alone_would_fire_twice_in_a_repeated_hour() -> None:
    """Why following_due() asks from a day later: CronTrigger fires at both 01:30s."""
    trigger = CronTrigger(
        day_of_week="sun", hour=1, minute=30, timezone=ZoneInfo("America/New_York")
    )
    first = trigger.get_next_fire_time(None, utc(2026, 11, 1, 0))
    assert first is not None
    second = trigger.get_next_fire_time(first, first + timedelta(microseconds=1))
    assert second is not None
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)


@pytest.mark.parametrize(
    ("community", "start", "weeks"),
    [
        (BERLIN, utc(2026, 3, 17), 4),
        (BERLIN, utc(2026, 10, 13), 4),
        (NEW_YORK, utc(2026, 2, 24), 4),
        (NEW_YORK, utc(2026, 10, 20), 4),
        (NY_AMBIGUOUS, utc(2026, 10, 20), 4),
    ],
)
async def test_ticking_every_ten_minutes_posts_once_a_week_at_the_due_instant(
    community: Community, start: datetime, weeks: int
) -> None:
    store = FakeStore()
    clock = FixedClock(start)
    await Seed(store.uow, community.id).community(
        now=start,
        digest_weekday=community.digest_weekday,
        digest_time=community.digest_time,
        timezone=community.timezone,
    )
    poster = RecordingPoster(clock)
    runner = wire(store.uow, clock, poster)
    end = start + timedelta(weeks=weeks)
    while clock.now() < end:
        await runner.run_once()
        clock.advance(minutes=10)
    assert [p.at for p in poster.posts] == dues(community, start, weeks)
    periods = [(p.digest.period_start, p.digest.period_end) for p in poster.posts]
    assert all(b[0] == a[1] for a, b in itertools.pairwise(periods))


async def _wait_for_posts(poster: RecordingPoster, count: int, seconds: float) -> None:
    async with asyncio.timeout(seconds):
        while len(poster.posts) < count:  # noqa: ASYNC110 (the poster is the port: no event)
            await asyncio.sleep(0.02)


async def test_the_real_scheduler_fires_at_the_due_instant_once_each_week(tmp_path: Path) -> None:
    """APScheduler's AsyncIOScheduler ticking on the wall clock, moved by time-machine to
    just before each due time around Berlin's spring change."""
    first = utc(2026, 3, 23, 8)  # Mon 09:00 CET
    second = utc(2026, 3, 30, 7)  # Mon 09:00 CEST
    clock = SystemClock()
    async with open_store(Settings(database_url=sqlite_url(tmp_path))) as store:
        with time_machine.travel(first - timedelta(hours=1), tick=True) as traveller:
            await Seed(store.uow, BERLIN.id).community(
                now=clock.now(), digest_time="09:00", timezone="Europe/Berlin"
            )
            poster = RecordingPoster(clock)
            for week, due in enumerate((first, second), start=1):
                traveller.move_to(due - timedelta(seconds=0.6))
                scheduler = DigestScheduler(wire(store.uow, clock, poster), tick_seconds=0.1)
                scheduler.start()
                try:
                    await _wait_for_posts(poster, week, seconds=10)
                    await asyncio.sleep(0.3)  # a few more ticks: nothing more is posted
                finally:
                    await scheduler.stop()
            assert len(poster.posts) == 2
            for post, due in zip(poster.posts, (first, second), strict=True):
                assert due <= post.at < due + timedelta(seconds=5)  # a tick is 0.1 s
                assert post.digest.period_end == due
