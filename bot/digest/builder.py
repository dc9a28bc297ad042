"""Building one community's digest for one week, from the store.

It reads only what the week needs, through indexes: the week's kudos and the 14 days before
(for the one-way share), existence checks for first-time givers, the members it may name,
and the open offers. History beyond that is never scanned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.analytics import RETURN_WINDOW, ThanksIndex, one_way_share
from bot.digest.content import giver_credits, pick_stories, rank_givers, story_people, week_numbers
from bot.digest.damping import damp_repeats
from bot.digest.model import Digest, GiverLine, OfferLine
from bot.digest.prompts import PromptChoice, next_prompt
from bot.domain import FORGOTTEN_MEMBER, Community, CommunityId, Member, MemberId
from bot.ports import UnitOfWork

MAX_STORIES = 5
MAX_GIVERS = 10
MAX_OFFERS = 3
_NAME_CHUNK = 500
_OFFER_PAGE = 20


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
    history = damp_repeats(
        k
        for k in await uow.kudos.between(cid, period_start - RETURN_WINDOW, period_end)
        if not k.hidden  # an admin hid it from digests
    )
    week = [k for k in history if k.created_at >= period_start]
    numbers = week_numbers(week)
    names = NameBook(uow, cid)

    credits = giver_credits(week)
    returning = await uow.kudos.givers_before(cid, sorted(credits), period_start)
    first_timers = set(credits) - returning
    givers: list[GiverLine] = []
    ranked = rank_givers(credits, first_timers)
    for start in range(0, len(ranked), 50):
        if len(givers) >= MAX_GIVERS:
            break
        chunk = ranked[start : start + 50]
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

    await names.load(story_people(week))
    stories = pick_stories(week, names.name_of, MAX_STORIES)

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
    digest = Digest(
        community_id=cid,
        period_start=period_start,
        period_end=period_end,
        kudos_count=numbers.kudos,
        givers_count=numbers.givers,
        receivers_count=numbers.receivers,
        unprompted_count=numbers.unprompted,
        new_offers_count=await uow.offers.count_created_between(cid, period_start, period_end),
        one_way_share=one_way_share(week, ThanksIndex(history)),
        stories=tuple(stories),
        givers=tuple(givers),
        offers=tuple(offers),
        prompt=prompt.text,
        timezone=community.timezone,
    )
    return BuiltDigest(digest=digest, prompt=prompt)
