"""Figures over kudos: one-way share and weekly stats (shared by stats and the digest)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import FORGOTTEN_MEMBER, Kudos

RETURN_WINDOW = timedelta(days=14)


class ThanksIndex:
    """When each giver thanked each receiver, to ask "was this thank-you returned?"."""

    def __init__(self, history: Iterable[Kudos]) -> None:
        self._times: dict[tuple[str, str], list[datetime]] = defaultdict(list)
        for k in history:
            for r in k.recipient_ids:
                self._times[(k.giver_id, r)].append(k.created_at)

    def thanked_within(self, giver: str, receiver: str, before: datetime) -> bool:
        start = before - RETURN_WINDOW
        return any(start <= t < before for t in self._times.get((giver, receiver), ()))


def pairs(kudos: Kudos) -> list[tuple[str, str]]:
    return [(kudos.giver_id, r) for r in kudos.recipient_ids]


def one_way_share(period: list[Kudos], index: ThanksIndex) -> float | None:
    """Share of thanks in `period` whose receiver had not thanked the giver in the 14 days
    before. Erased (forgotten) members count as one-way: nothing ties them to anyone."""
    total = one_way = 0
    for k in period:
        for giver, receiver in pairs(k):
            total += 1
            if FORGOTTEN_MEMBER in (giver, receiver) or not index.thanked_within(
                receiver, giver, k.created_at
            ):
                one_way += 1
    return one_way / total if total else None


@dataclass(frozen=True)
class WeekStats:
    week_start: datetime
    kudos: int
    givers: int
    one_way_share: float | None
    unprompted_share: float | None


def weekly_stats(history: list[Kudos], now: datetime, weeks: int) -> list[WeekStats]:
    """The last `weeks` 7-day windows ending at `now`, oldest first."""
    index = ThanksIndex(history)
    result: list[WeekStats] = []
    for i in range(weeks, 0, -1):
        start = now - timedelta(days=7 * i)
        end = start + timedelta(days=7)
        week = [k for k in history if start <= k.created_at < end]
        unprompted = sum(1 for k in week if k.unprompted)
        result.append(
            WeekStats(
                week_start=start,
                kudos=len(week),
                givers=len({k.giver_id for k in week}),
                one_way_share=one_way_share(week, index),
                unprompted_share=unprompted / len(week) if week else None,
            )
        )
    return result
