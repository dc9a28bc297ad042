"""A member's own data: summary, digest opt-out, export and forget."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from bot.commands import ExportMyData, ForgetMe, OptIn, OptOut, ShowMe
from bot.domain import FORGOTTEN_MEMBER, Actor, Kudos
from bot.handlers.context import Ports, days_ago, load_community, touch_member
from bot.handlers.kudos import join_names
from bot.replies import Attachment, Reply
from bot.text import shorten

SUMMARY_DAYS = 30
SUMMARY_ITEMS = 5


def _names(ids: tuple[str, ...], names: dict[str, str]) -> str:
    return join_names([names.get(i, "a former member") for i in ids])


async def show_me(ports: Ports, actor: Actor, command: ShowMe) -> Reply:
    now = ports.clock.now()
    since = days_ago(now, SUMMARY_DAYS)
    async with ports.uow() as uow:
        given = await uow.kudos.given_by(actor.community_id, actor.member_id, since)
        received = await uow.kudos.received_by(actor.community_id, actor.member_id, since)
        offers = await uow.offers.owned_by(actor.community_id, actor.member_id)
        member = await uow.members.get(actor.community_id, actor.member_id)
        people = {p for k in given for p in k.recipient_ids} | {k.giver_id for k in received}
        known = await uow.members.many(actor.community_id, sorted(people))
    names = {mid: m.display_name for mid, m in known.items()}
    open_offers = [o for o in offers if o.is_open(now)]
    lines = [f"Your last {SUMMARY_DAYS} days, {actor.display_name}:"]
    lines.append(f"Thanks given: {len(given)}")
    for k in _latest(given):
        lines.append(f"  to {_names(k.recipient_ids, names)}: {shorten(k.reason, 120)}")
    lines.append(f"Thanks received: {len(received)}")
    for k in _latest(received):
        lines.append(f"  from {_names((k.giver_id,), names)}: {shorten(k.reason, 120)}")
    lines.append(f"Open offers: {len(open_offers)}")
    for o in open_offers:
        lines.append(f"  #{o.id} {shorten(o.text, 120)} (until {o.expires_at:%Y-%m-%d})")
    if member is not None and member.opted_out:
        lines.append("You are opted out of being named in digests (/connections optin to undo).")
    return Reply(text="\n".join(lines))


def _latest(items: list[Kudos]) -> list[Kudos]:
    return sorted(items, key=lambda k: k.created_at, reverse=True)[:SUMMARY_ITEMS]


async def set_opt_out(ports: Ports, actor: Actor, command: OptOut | OptIn) -> Reply:
    opted_out = isinstance(command, OptOut)
    now = ports.clock.now()
    async with ports.uow() as uow:
        await load_community(uow, actor.community_id, now)
        member = await touch_member(uow, actor, now)
        await uow.members.save(replace(member, opted_out=opted_out))
        await uow.commit()
    if opted_out:
        return Reply(
            text="Done: digests will no longer name you. You can still give and receive "
            "thanks. /connections optin undoes this."
        )
    return Reply(text="Welcome back: digests may name you again when you help or thank.")


def _kudos_json(k: Kudos) -> dict[str, object]:
    return {
        "id": k.id,
        "giver": k.giver_id,
        "recipients": list(k.recipient_ids),
        "reason": k.reason,
        "values": list(k.tags),
        "unprompted": k.unprompted,
        "created_at": k.created_at.isoformat(),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def export_data(ports: Ports, actor: Actor, command: ExportMyData) -> Reply:
    now = ports.clock.now()
    async with ports.uow() as uow:
        member = await uow.members.get(actor.community_id, actor.member_id)
        given = await uow.kudos.given_by(actor.community_id, actor.member_id)
        received = await uow.kudos.received_by(actor.community_id, actor.member_id)
        offers = await uow.offers.owned_by(actor.community_id, actor.member_id)
    data = {
        "community": actor.community_id,
        "member": {
            "id": actor.member_id,
            "display_name": member.display_name if member else actor.display_name,
            "opted_out_of_digests": bool(member and member.opted_out),
            "first_seen_at": _iso(member.first_seen_at) if member else None,
        },
        "kudos_given": [_kudos_json(k) for k in given],
        "kudos_received": [_kudos_json(k) for k in received],
        "offers": [
            {
                "id": o.id,
                "text": o.text,
                "created_at": o.created_at.isoformat(),
                "expires_at": o.expires_at.isoformat(),
                "closed_at": _iso(o.closed_at),
            }
            for o in offers
        ],
        "exported_at": now.isoformat(),
    }
    content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return Reply(
        text=f"Here is everything I keep about you: {len(given)} thanks given, "
        f"{len(received)} received, {len(offers)} offers.",
        attachment=Attachment(filename="smart-connections-export.json", content=content),
    )


async def forget(ports: Ports, actor: Actor, command: ForgetMe) -> Reply:
    if not command.confirmed:
        return Reply(
            text="This deletes your offers and erases your name and words from every "
            "thank-you, for good (others keep their counts). To go ahead, send "
            "/connections forget confirm"
        )
    async with ports.uow() as uow:
        await uow.kudos.erase_member(actor.community_id, actor.member_id, FORGOTTEN_MEMBER)
        await uow.offers.delete_owned_by(actor.community_id, actor.member_id)
        await uow.members.delete(actor.community_id, actor.member_id)
        await uow.commit()
    return Reply(text="Done: your offers are deleted and your name and words are erased.")
