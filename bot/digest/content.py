"""The digest's sections as pure functions over a week of kudos (no I/O here).

Definitions the digest promises its readers:
- Numbers count every kudos of the week; "distinct givers" and "people thanked" count
  people, so a forgotten member's tombstone is not counted as one.
- Givers are credited with the distinct people they thanked this week. A mutual pair
  (A thanked B and B thanked A this week) counts once: only whoever thanked first this
  week is credited; the thank-you returned earns its giver no credit for that person. A
  giver whose every thank-you this week was such a return is not listed.
- Givers are ordered first-time givers first (their first kudos ever in the community
  falls in the week), then by people credited, then by who thanked first this week.
- Stories are unprompted kudos, chosen greedily to spread over distinct people: each pick
  is the story with the fewest people already featured, earliest first on ties.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.digest.model import Story
from bot.domain import FORGOTTEN_MEMBER, Kudos, MemberId

NameOf = Callable[[MemberId], str | None]  # a display name we may show, or None: don't name


@dataclass(frozen=True)
class WeekNumbers:
    kudos: int
    givers: int
    receivers: int
    unprompted: int


def week_numbers(week: list[Kudos]) -> WeekNumbers:
    givers = {k.giver_id for k in week} - {FORGOTTEN_MEMBER}
    receivers = {r for k in week for r in k.recipient_ids} - {FORGOTTEN_MEMBER}
    return WeekNumbers(
        kudos=len(week),
        givers=len(givers),
        receivers=len(receivers),
        unprompted=sum(1 for k in week if k.unprompted),
    )


@dataclass(frozen=True)
class GiverCredit:
    giver_id: MemberId
    people: int
    first_thanked_at: datetime


def giver_credits(week: Iterable[Kudos]) -> dict[MemberId, GiverCredit]:
    """Each giver's credited distinct people this week (see the module's definitions)."""
    first: dict[tuple[MemberId, MemberId], tuple[datetime, int]] = {}
    started: dict[MemberId, datetime] = {}
    for k in week:
        if k.giver_id == FORGOTTEN_MEMBER:
            continue
        when = (k.created_at, k.id or 0)
        started[k.giver_id] = min(started.get(k.giver_id, k.created_at), k.created_at)
        for receiver in k.recipient_ids:
            pair = (k.giver_id, receiver)
            if pair not in first or when < first[pair]:
                first[pair] = when
    people: dict[MemberId, int] = {}
    for (giver, receiver), when in first.items():
        returned_from = first.get((receiver, giver))
        if returned_from is not None and returned_from < when:
            continue  # the receiver thanked this giver first: this is the return
        people[giver] = people.get(giver, 0) + 1
    return {g: GiverCredit(g, n, started[g]) for g, n in people.items()}


def rank_givers(
    credits: dict[MemberId, GiverCredit], first_timers: set[MemberId]
) -> list[GiverCredit]:
    return sorted(
        credits.values(),
        key=lambda c: (c.giver_id not in first_timers, -c.people, c.first_thanked_at, c.giver_id),
    )


@dataclass(frozen=True)
class _Candidate:
    kudos: Kudos
    giver: str
    receivers: tuple[tuple[MemberId, str], ...]
    people: frozenset[MemberId]


def story_people(week: Iterable[Kudos]) -> set[MemberId]:
    """Whose names the story candidates need."""
    return {p for k in week if k.unprompted for p in (k.giver_id, *k.recipient_ids)}


def pick_stories(week: Iterable[Kudos], name_of: NameOf, limit: int) -> list[Story]:
    """Up to `limit` unprompted stories, spread over distinct people. Receivers we may not
    name are left out of a story; a story with no nameable giver or receiver is dropped."""
    candidates: list[_Candidate] = []
    for k in week:
        giver = name_of(k.giver_id)
        if not k.unprompted or not k.reason.strip() or giver is None:
            continue
        receivers = tuple((r, n) for r in k.recipient_ids if (n := name_of(r)) is not None)
        if receivers:
            people = frozenset((k.giver_id, *(r for r, _ in receivers)))
            candidates.append(_Candidate(k, giver, receivers, people))
    candidates.sort(key=lambda c: (c.kudos.created_at, c.kudos.id or 0))
    featured: set[MemberId] = set()
    chosen: list[_Candidate] = []
    while candidates and len(chosen) < limit:
        best, best_overlap = 0, len(candidates[0].people & featured)
        for i, candidate in enumerate(candidates):
            if best_overlap == 0:
                break  # nobody in it is featured yet: the earliest such story wins
            overlap = len(candidate.people & featured)
            if overlap < best_overlap:
                best, best_overlap = i, overlap
        pick = candidates.pop(best)
        chosen.append(pick)
        featured |= pick.people
    return [
        Story(
            giver_name=c.giver,
            receiver_names=tuple(n for _, n in c.receivers),
            reason=c.kudos.reason,
        )
        for c in chosen
    ]
