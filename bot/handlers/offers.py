"""Offers of help: create, search, close and renew; they expire after 30 days."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.commands import CloseOffer, CreateOffer, ListOffers, RenewOffer
from bot.domain import Actor, Offer
from bot.errors import DuplicateDeliveryError
from bot.handlers.context import Ports, is_admin, load_community, touch_member
from bot.replies import Reply, refuse
from bot.text import clean, shorten

MIN_OFFER = 5
MAX_OFFER = 500
MAX_OPEN_OFFERS = 5
OFFER_LIFETIME = timedelta(days=30)
PAGE_SIZE = 10
MAX_QUERY_WORDS = 8


async def create_offer(ports: Ports, actor: Actor, command: CreateOffer) -> Reply:
    text = clean(command.text)
    if len(text) < MIN_OFFER:
        return refuse(
            "What would you like to offer? Describe it in a few words, e.g. "
            "/offer I can pair on SQL query tuning"
        )
    if len(text) > MAX_OFFER:
        return refuse(f"That offer is {len(text):,} characters; please keep it under {MAX_OFFER}.")
    now = ports.clock.now()
    async with ports.uow() as uow:
        await load_community(uow, actor.community_id, now)
        if command.delivery_id and await uow.deliveries.seen(
            actor.community_id, command.delivery_id
        ):
            return Reply(text="Already recorded: this offer was delivered twice.")
        open_count = await uow.offers.count_open(actor.community_id, actor.member_id, now)
        if open_count >= MAX_OPEN_OFFERS:
            return refuse(
                f"You already have {open_count} open offers, the most one member can have. "
                "Close one with /offer close ID (see /connections me) and try again."
            )
        await touch_member(uow, actor, now)
        offer = await uow.offers.add(
            Offer(
                community_id=actor.community_id,
                owner_id=actor.member_id,
                text=text,
                created_at=now,
                expires_at=now + OFFER_LIFETIME,
            )
        )
        if command.delivery_id:
            try:
                await uow.deliveries.record(actor.community_id, command.delivery_id, now)
            except DuplicateDeliveryError:
                return Reply(text="Already recorded: this offer was delivered twice.")
        await uow.commit()
    return Reply(
        text=f"Offer #{offer.id} is open for 30 days: “{offer.text}”. "
        f"Close it with /offer close {offer.id}, or keep it with /offer renew {offer.id}."
    )


async def list_offers(ports: Ports, actor: Actor, command: ListOffers) -> Reply:
    words = [w.lower() for w in clean(command.query).split()][:MAX_QUERY_WORDS]
    page = max(1, command.page)
    now = ports.clock.now()
    async with ports.uow() as uow:
        offers = await uow.offers.search(
            actor.community_id, words, now, (page - 1) * PAGE_SIZE, PAGE_SIZE + 1
        )
        owners = await uow.members.many(actor.community_id, [o.owner_id for o in offers])
    more = len(offers) > PAGE_SIZE
    offers = offers[:PAGE_SIZE]
    what = f" matching “{shorten(' '.join(words), 80)}”" if words else ""
    if not offers:
        if page > 1:
            return Reply(text=f"No more open offers{what} (page {page}).")
        return Reply(text=f"No open offers{what} yet. Be the first: /offer I can help with ...")
    lines = [f"Open offers of help{what} (page {page}):"]
    for offer in offers:
        owner = owners.get(offer.owner_id)
        name = owner.display_name if owner else "a member"
        lines.append(f"#{offer.id} {name}: {shorten(offer.text, 200)}")
    if more:
        query = f"{' '.join(words)} " if words else ""
        lines.append(f"More: /offer list {query}page {page + 1}")
    return Reply(text="\n".join(lines))


async def close_offer(ports: Ports, actor: Actor, command: CloseOffer) -> Reply:
    now = ports.clock.now()
    async with ports.uow() as uow:
        offer = await uow.offers.get(actor.community_id, command.offer_id)
        if offer is None:
            return refuse(f"There is no offer #{command.offer_id} here. See /offer list.")
        if offer.owner_id != actor.member_id and not await is_admin(uow, actor):
            return refuse("Only the person who made an offer (or an admin) can close it.")
        if offer.closed_at is not None:
            return Reply(text=f"Offer #{offer.id} is already closed.")
        await uow.offers.save(replace(offer, closed_at=now))
        await uow.commit()
    return Reply(text=f"Offer #{offer.id} is closed. Thank you for offering!")


async def renew_offer(ports: Ports, actor: Actor, command: RenewOffer) -> Reply:
    now = ports.clock.now()
    async with ports.uow() as uow:
        offer = await uow.offers.get(actor.community_id, command.offer_id)
        if offer is None:
            return refuse(f"There is no offer #{command.offer_id} here. See /offer list.")
        if offer.owner_id != actor.member_id:
            return refuse("Only the person who made an offer can renew it.")
        if offer.closed_at is not None:
            return refuse(f"Offer #{offer.id} is closed; make a new one with /offer ...")
        if not offer.is_open(now):
            open_count = await uow.offers.count_open(actor.community_id, actor.member_id, now)
            if open_count >= MAX_OPEN_OFFERS:
                return refuse(
                    f"You already have {open_count} open offers; close one before renewing "
                    f"#{offer.id}."
                )
        renewed = replace(offer, expires_at=now + OFFER_LIFETIME)
        await uow.offers.save(renewed)
        await uow.commit()
    return Reply(text=f"Offer #{offer.id} is renewed: open until {renewed.expires_at:%Y-%m-%d}.")
