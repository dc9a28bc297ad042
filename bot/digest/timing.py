"""When digests fall due and which week each one covers, in the community's time zone.

A digest due at instant D covers the week from the due time before it (the scheduled local
time 7 days earlier) up to D, so consecutive weeks join up exactly even across DST changes.
The start of that week is the digest's claim key (`period_start`). A digest sent early
(`digest now`) covers the 7 days before it is sent.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo

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
