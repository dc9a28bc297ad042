"""When digests fall due and which week each one covers, in the community's time zone.

A digest due at instant D covers the week from the due time before it (the scheduled local
time 7 days earlier) up to D, so consecutive weeks join up exactly even across DST changes.
The start of that week is the digest's claim key (`period_start`). A digest sent early
(`digest now`) covers the 7 days before it is sent.

A digest never repeats days an earlier posted digest covered (after a schedule change, say):
its content starts where the last posted one ended, and it is not posted at all when that
leaves less than a day (see `content_start`).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo

from bot.digest.model import DigestRecord
from bot.domain import Community
from bot.schedule import load_zone, next_due, parse_time

WEEK = timedelta(days=7)
# A weekly schedule never fires twice within a day. CronTrigger does, on a fall-back night,
# for a wall time inside the repeated hour (01:30 in New York comes twice): asking for the
# next fire time from a day after the last one keeps it to once a week.
MIN_GAP = timedelta(days=1)
# Looking back further than this for missed due times is pointless: the grace is hours.
MAX_MISSED_WEEKS = 1000


def _zone(community: Community) -> tzinfo:
    return load_zone(community.timezone) or UTC


def week_before(end: datetime, community: Community) -> datetime:
    """The same local wall-clock time 7 days before `end`, as a UTC instant."""
    local = end.astimezone(_zone(community))
    # Arithmetic on an aware datetime is wall-clock arithmetic in its zone.
    return (local - WEEK).astimezone(UTC)


def week_start_of(due: datetime, community: Community) -> datetime:
    """The start of the week a due time closes: the scheduled time 7 local days earlier,
    which is the due time before it. (Not simply `week_before(due)`: a due time in a
    spring-forward gap is moved an hour later, the week before it was not.)"""
    hm = parse_time(community.digest_time)
    if hm is None:
        return week_before(due, community)
    zone = _zone(community)
    day = due.astimezone(zone).date() - WEEK
    return datetime.combine(day, time(hm[0], hm[1]), tzinfo=zone).astimezone(UTC)


def covered_until(posted: DigestRecord, community: Community) -> datetime:
    """Where the period a posted digest covered ended. A digest posted before that was stored
    (`period_end` None, migration 0005) counts as covering its whole week: up to the same
    local time 7 days after its start, which is its due time unless the schedule changed."""
    if posted.period_end is not None:
        return posted.period_end
    local = posted.period_start.astimezone(_zone(community))
    return (local + WEEK).astimezone(UTC)


def content_start(start: datetime, covered: datetime | None) -> datetime:
    """Where the content of a digest for [start, ...) begins, given where the last posted
    digest's period ended (`covered`): there, when that is later than `start` (its days were
    celebrated already) or less than a day before it (a digest too short to post was skipped
    in between, or the schedule moved: those hours are not lost); else at `start` (a week
    missed or paused stays missed)."""
    if covered is None or covered <= start - MIN_GAP:
        return start
    return covered


def content_window(
    community: Community, period_start: datetime, due: datetime, now: datetime
) -> tuple[datetime, datetime]:
    """The days a digest would cover before earlier digests are taken off: its week, up to its
    due time, or the 7 days before now when it is sent early."""
    if due <= now:
        return period_start, due
    return week_before(now, community), now


def due_of_period(community: Community, period_start: datetime) -> datetime:
    """The due time of the week starting at `period_start` under the current schedule.
    (Not simply 7 local days later: a due time inside a spring-forward gap moves.)"""
    try:
        return first_due(community, period_start + MIN_GAP)
    except ValueError:  # a schedule that no longer parses: the week's nominal end
        return period_start + WEEK


def first_due(community: Community, now: datetime) -> datetime:
    """The first due time strictly after `now` (e.g. for a new or rescheduled community),
    in UTC: a local time in a DST gap or fold never compares equal across zones."""
    due = next_due(community.digest_weekday, community.digest_time, community.timezone, now)
    return due.astimezone(UTC)


def following_due(community: Community, due: datetime) -> datetime:
    """The due time after the one at `due`: about a week later, never the same day."""
    return first_due(community, due + MIN_GAP)


def latest_due(community: Community, due: datetime, now: datetime) -> datetime:
    """The last due time at or before `now`, counting weekly from the stored `due`
    (<= now). When the bot was down for weeks, only the most recent one matters."""
    latest = due
    for _ in range(MAX_MISSED_WEEKS):
        following = following_due(community, latest)
        if following > now:
            return latest
        latest = following
    return latest
