"""Building one community's digest for one week, from the store.

It reads only what the week needs, through indexes: one row per receiver of the week's
kudos and of the 14 days before (for damping and the one-way share: ids, dates and flags,
never reasons), existence checks for givers not seen giving in those days, then names,
reasons and offers only for the few the digest shows. History beyond that is never scanned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from bot.analytics import RETURN_WINDOW
from bot.digest.content import (
    StoryCandidate,
    UnpromptedKudos,
    WeekSummary,
    next_story,
    rank_givers,
    story,
    story_candidate,
    summarize_week,
    unprompted_kudos,
)
from bot.digest.model import Digest, GiverLine, OfferLine, Story
from bot.digest.prompts import PromptChoice, next_prompt
from bot.domain import FORGOTTEN_MEMBER, Community, CommunityId, Member, MemberId
from bot.ports import UnitOfWork

MAX_STORIES = 5
MAX_GIVERS = 10
MAX_OFFERS = 3
_NAME_CHUNK = 500
_OFFER_PAGE = 20
_GIVER_PAGE = 50
# Unprompted kudos whose names and reasons are read at a time: the first few usually hold
# the week's stories, so the rest are never read.
_STORY_PAGE = 50


class NameBook:
    """Members' display names, fetched in chunks; None for anyone the digest must not name
    (opted out, forgotten, bots, or unknown to us)."""

    def __init__(self, uow: UnitOfWork, community_id: CommunityId) -> None:
        self._uow = uow
        self._community_id = community_id
        self._members: dict[MemberId, Member | None] = {}

    async def load(self, ids: Iterable[MemberId]) -> None:
        missing = sorted({i for i in ids if i not in self._members and i != FORGOTTEN_MEMBER})
        for start in range(0, len(missing), _NAME_CHUNK):
            chunk = missing[start : start + _NAME_CHUNK]
            found = await self._uow.members.many(self._community_id, chunk)
            for member_id in chunk:
                self._members[member_id] = found.get(member_id)

    def name_of(self, member_id: MemberId) -> str | None:
        member = self._members.get(member_id)
        if member is None or member.opted_out or member.is_bot:
            return None
        return member.display_name.strip() or None


@dataclass(frozen=True)
class BuiltDigest:
    digest: Digest
    prompt: PromptChoice  # marked used only once the digest is posted


async def build_digest(
    uow: UnitOfWork, community: Community, period_start: datetime, period_end: datetime
) -> BuiltDigest:
    cid = community.id
    thanks = await uow.kudos.thanks_between(cid, period_start - RETURN_WINDOW, period_end)
    week = summarize_week(thanks, period_start)
    names = NameBook(uow, cid)

    # Whoever gave in the 14 days before has given before: only the others are looked up.
    unseen = sorted(g for g in week.credits if g not in week.gave_before)
    returning = await uow.kudos.givers_before(cid, unseen, period_start) if unseen else set()
    first_timers = {g for g in unseen if g not in returning}
    givers: list[GiverLine] = []
    for start in range(0, len(week.credits), _GIVER_PAGE):
        if len(givers) >= MAX_GIVERS:
            break
        chunk = rank_givers(week, first_timers, start + _GIVER_PAGE)[start:]
        await names.load(c.giver_id for c in chunk)
        for credit in chunk:
            name = names.name_of(credit.giver_id)
            if name is not None and len(givers) < MAX_GIVERS:
                givers.append(
                    GiverLine(
                        name=name,
                        people_thanked=credit.people,
                        first_time=credit.giver_id in first_timers,
                    )
                )

    stories = await _pick_stories(uow, cid, week, names)

    offers: list[OfferLine] = []
    offset = 0
    while len(offers) < MAX_OFFERS:
        page = await uow.offers.open_by_take_up(cid, period_end, offset, _OFFER_PAGE)
        await names.load(o.owner_id for o, _ in page)
        for offer, _take_up in page:
            owner = names.name_of(offer.owner_id)
            if owner is not None and offer.id is not None and len(offers) < MAX_OFFERS:
                offers.append(OfferLine(offer_id=offer.id, owner_name=owner, text=offer.text))
        if len(page) < _OFFER_PAGE:
            break
        offset += _OFFER_PAGE

    prompt = await next_prompt(uow, cid)
    numbers = week.numbers
    digest = Digest(
        community_id=cid,
        period_start=period_start,
        period_end=period_end,
        kudos_count=numbers.kudos,
        givers_count=numbers.givers,
        receivers_count=numbers.receivers,
        unprompted_count=numbers.unprompted,
        new_offers_count=await uow.offers.count_created_between(cid, period_start, period_end),
        one_way_share=week.one_way_share,
        stories=tuple(stories),
        givers=tuple(givers),
        offers=tuple(offers),
        prompt=prompt.text,
        timezone=community.timezone,
    )
    return BuiltDigest(digest=digest, prompt=prompt)


async def _pick_stories(
    uow: UnitOfWork, cid: CommunityId, week: WeekSummary, names: NameBook
) -> list[Story]:
    """Up to MAX_STORIES stories (see bot/digest/content.py), reading names and reasons for a
    page of unprompted kudos at a time, and the next page only when the choice needs it."""
    unread = unprompted_kudos(week.unprompted)
    candidates: list[StoryCandidate] = []
    featured: set[MemberId] = set()
    chosen: list[Story] = []
    complete = False
    while len(chosen) < MAX_STORIES:
        found = next_story(candidates, featured, complete)
        if found is None:
            if complete:
                break
            page = list(islice(unread, _STORY_PAGE))
            complete = len(page) < _STORY_PAGE
            candidates.extend(await _candidates(uow, cid, page, names))
            continue
        pick = candidates.pop(found)
        chosen.append(story(pick))
        featured |= pick.people
    return chosen


async def _candidates(
    uow: UnitOfWork, cid: CommunityId, page: list[UnpromptedKudos], names: NameBook
) -> list[StoryCandidate]:
    await names.load(p for k in page for p in (k.giver_id, *k.receiver_ids))
    # Reasons (and the receivers' order) only of the kudos with someone to name.
    nameable = [
        k
        for k in page
        if names.name_of(k.giver_id) is not None
        and any(names.name_of(r) is not None for r in k.receiver_ids)
    ]
    stored = await uow.kudos.many(cid, [k.kudos_id for k in nameable]) if nameable else {}
    found: list[StoryCandidate] = []
    for k in nameable:
        kudos = stored.get(k.kudos_id)
        if kudos is None:
            continue
        counted = set(k.receiver_ids)
        receivers = [r for r in kudos.recipient_ids if r in counted]
        candidate = story_candidate(k.giver_id, receivers, kudos.reason, names.name_of)
        if candidate is not None:
            found.append(candidate)
    return found
