"""Digest due times, computed with APScheduler's CronTrigger in the community's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = {
    **{name: i for i, name in enumerate(WEEKDAYS)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}


def parse_weekday(text: str) -> int | None:
    return _WEEKDAY_NAMES.get(text.strip().lower())


def parse_time(text: str) -> tuple[int, int] | None:
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(p.isascii() and p.isdecimal() and len(p) <= 2 for p in parts):
        return None
    hour, minute = int(parts[0]), int(parts[1])
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return hour, minute


def load_zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def next_due(weekday: int, time: str, timezone: str, after: datetime) -> datetime:
    """The first weekly due instant strictly after `after`, as an aware UTC-comparable time."""
    hm = parse_time(time)
    zone = load_zone(timezone)
    if hm is None or zone is None:
        raise ValueError(f"bad schedule {weekday} {time} {timezone}")
    trigger = CronTrigger(day_of_week=WEEKDAYS[weekday], hour=hm[0], minute=hm[1], timezone=zone)
    # CronTrigger returns `now` itself when it matches exactly; ask from just after it.
    fire = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    assert isinstance(fire, datetime)
    return fire
