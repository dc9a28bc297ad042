"""The digest's sections as pure functions over the thanks of a week (no I/O here).

Definitions the digest promises its readers:
- Kudos are damped first (bot/digest/damping.py) and hidden ones never count.
- Numbers count every kudos of the week; "distinct givers" and "people thanked" count
  people, so a forgotten member's tombstone is not counted as one.
- The one-way share is the share of the week's thank-yous (one per receiver) whose receiver
  had not thanked the giver in the 14 days before. Erased (forgotten) members count as
  one-way: nothing ties them to anyone.
- Givers are credited with the distinct people they thanked this week. A mutual pair
  (A thanked B and B thanked A this week) counts once: only whoever thanked first this
  week is credited; the thank-you returned earns its giver no credit for that person. A
  giver whose every thank-you this week was such a return is not listed.
- Givers are ordered first-time givers first (their first kudos ever in the community
  falls in the week), then by people credited, then by who thanked first this week.
- Stories are unprompted kudos, chosen greedily to spread over distinct people: each pick
  is the story with the fewest people already featured, earliest first on ties.

The week arrives as rows of `Thanks` (one per receiver, oldest first) and is summed up in
one pass: a big community's week is tens of thousands of rows.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter

from bot.analytics import RETURN_WINDOW
from bot.digest.damping import REPEAT_WINDOW
from bot.digest.model import Story
from bot.domain import FORGOTTEN_MEMBER, MemberId
from bot.ports import Thanks

NameOf = Callable[[MemberId], str | None]  # a display name we may show, or None: don't name

_KUDOS_ID = itemgetter(0)
_GIVER = itemgetter(1)
_CREATED_AT = itemgetter(3)


@dataclass(frozen=True)
class WeekNumbers:
    kudos: int
    givers: int
    receivers: int
    unprompted: int


@dataclass(frozen=True)
class GiverCredit:
    giver_id: MemberId
    people: int
    first_thanked_at: datetime


@dataclass(frozen=True)
class UnpromptedKudos:
    """A kudos of the week given without being asked, with its receivers after damping (in
    no set order: a story shows them in the kudos' own order)."""

    kudos_id: int
    giver_id: MemberId
    receiver_ids: tuple[MemberId, ...]


@dataclass(frozen=True)
class WeekSummary:
    numbers: WeekNumbers
    one_way_share: float | None
    credits: dict[MemberId, int]  # each credited giver's credited people
    started: dict[MemberId, datetime]  # when each giver first thanked this week
    gave_before: set[MemberId]  # who gave a (visible) kudos in the days before the week
    # The week's unprompted kudos as their counted (kudos id, giver, receiver)s, oldest first
    # (plain tuples: the garbage collector soon stops watching them); see `unprompted_kudos`.
    unprompted: list[tuple[int, MemberId, MemberId]]


def summarize_week(thanks: Sequence[Thanks], period_start: datetime) -> WeekSummary:
    """The week [period_start, ...) of `thanks`, which must hold the 14 days before it too
    (for damping across its start and for the one-way share)."""
    # This runs over every row of three weeks, so damping's rule (see damping.py) is written
    # out inline. For each (giver, receiver): its last counted thank-you, and the one before
    # (the one-way share asks for the last one *before* an instant, which may be that one).
    last: dict[tuple[MemberId, MemberId], datetime] = {}
    before_last: dict[tuple[MemberId, MemberId], datetime] = {}
    window = REPEAT_WINDOW
    erased = FORGOTTEN_MEMBER
    week_start = bisect_left(thanks, period_start, key=_CREATED_AT)

    earlier = thanks[:week_start]
    gave_before = set(map(_GIVER, earlier))
    for _, giver, receiver, at, _ in earlier:
        if receiver is None or giver == erased:
            continue
        pair = (giver, receiver)
        previous = last.get(pair)
        # (`before_last` is only read for a week's row at the very instant of `last`.)
        if previous is None or receiver == erased or at - previous >= window:
            last[pair] = at

    kudos = unprompted_count = thank_yous = one_way = 0
    givers: set[MemberId] = set()
    receivers: set[MemberId] = set()
    first: dict[tuple[MemberId, MemberId], tuple[datetime, int]] = {}
    started: dict[MemberId, datetime] = {}
    unprompted: list[tuple[int, MemberId, MemberId]] = []
    current = None  # the kudos of the last row counted
    for kudos_id, giver, receiver, at, is_unprompted in thanks[week_start:]:
        # A row is one receiver; its kudos stays in the digest with its first counted one.
        if receiver is not None and giver != erased:
            pair = (giver, receiver)
            previous = last.get(pair)
            if previous is None or receiver == erased or at - previous >= window:
                last[pair] = at
                if previous is not None:
                    before_last[pair] = previous
            else:
                continue  # a repeat
        if kudos_id != current:
            current = kudos_id
            kudos += 1
            if giver != erased:
                givers.add(giver)
                started.setdefault(giver, at)  # rows come oldest first
            if is_unprompted:
                unprompted_count += 1
        if receiver is None:
            continue  # a kudos naming nobody: counted, with no one to credit
        if is_unprompted:
            unprompted.append((kudos_id, giver, receiver))
        receivers.add(receiver)
        thank_yous += 1
        if giver == erased:
            one_way += 1  # nothing ties an erased member to anyone; and no credit
            continue
        if receiver == erased:
            one_way += 1
        else:
            returned = last.get((receiver, giver))
            if returned is not None and returned >= at:  # the same instant: not before it
                returned = before_last.get((receiver, giver))
            if returned is None or at - returned > RETURN_WINDOW:
                one_way += 1
        pair = (giver, receiver)
        if pair not in first:
            first[pair] = (at, kudos_id)

    return WeekSummary(
        numbers=WeekNumbers(
            kudos=kudos,
            givers=len(givers),
            receivers=len(receivers - {erased}),
            unprompted=unprompted_count,
        ),
        one_way_share=one_way / thank_yous if thank_yous else None,
        credits=_credits(first),
        started=started,
        gave_before=gave_before,
        unprompted=unprompted,
    )


def unprompted_kudos(rows: Iterable[tuple[int, MemberId, MemberId]]) -> Iterator[UnpromptedKudos]:
    """`WeekSummary.unprompted`, one kudos at a time."""
    for kudos_id, group in groupby(rows, key=_KUDOS_ID):
        found = list(group)
        yield UnpromptedKudos(kudos_id, found[0][1], tuple(r for _, _, r in found))


def _credits(first: dict[tuple[MemberId, MemberId], tuple[datetime, int]]) -> dict[MemberId, int]:
    """Each giver's credited distinct people, from when each pair first thanked this week."""
    people: dict[MemberId, int] = {}
    for (giver, receiver), when in first.items():
        returned_from = first.get((receiver, giver))
        if returned_from is not None and returned_from < when:
            continue  # the receiver thanked this giver first: this is the return
        people[giver] = people.get(giver, 0) + 1
    return people


def rank_givers(week: WeekSummary, first_timers: set[MemberId], count: int) -> list[GiverCredit]:
    """The first `count` credited givers in the digest's order."""
    started = week.started
    keys = ((g not in first_timers, -n, started[g], g) for g, n in week.credits.items())
    return [GiverCredit(g, -n, at) for _, n, at, g in heapq.nsmallest(count, keys)]


@dataclass(frozen=True)
class StoryCandidate:
    giver: str
    receivers: tuple[str, ...]
    people: frozenset[MemberId]  # the giver and the receivers it names
    reason: str


def story_candidate(
    giver_id: MemberId, receiver_ids: Sequence[MemberId], reason: str, name_of: NameOf
) -> StoryCandidate | None:
    """The story an unprompted kudos tells (its receivers after damping, in the kudos'
    order), or None when it has none to tell: no reason, or no giver or receiver we may name
    (receivers we may not name are left out of it)."""
    giver = name_of(giver_id)
    if giver is None or not reason.strip():
        return None
    named = [(r, n) for r in receiver_ids if (n := name_of(r)) is not None]
    if not named:
        return None
    people = frozenset((giver_id, *(r for r, _ in named)))
    return StoryCandidate(giver, tuple(n for _, n in named), people, reason)


def next_story(
    candidates: Sequence[StoryCandidate], featured: set[MemberId], complete: bool
) -> int | None:
    """Where in `candidates` (oldest first) the next story is: the earliest with the fewest
    people already featured. None when there is none, or when it cannot be told yet: none
    is free of featured people and more candidates may follow (`complete` is False)."""
    best: int | None = None
    best_overlap = 0
    for i, candidate in enumerate(candidates):
        overlap = len(candidate.people & featured)
        if overlap == 0:
            return i  # nobody in it is featured yet: no later story can beat it
        if best is None or overlap < best_overlap:
            best, best_overlap = i, overlap
    return best if complete else None


def story(candidate: StoryCandidate) -> Story:
    return Story(
        giver_name=candidate.giver, receiver_names=candidate.receivers, reason=candidate.reason
    )
