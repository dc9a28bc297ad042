"""Admin moderation: the latest kudos with their numbers, and hiding one from digests.

Hiding keeps the kudos (the giver and the people thanked still see it in their summaries
and exports); the digest leaves it out of its numbers, givers and stories. Both are audited.
"""

from __future__ import annotations

from bot.commands import HideKudos, ListRecentKudos
from bot.domain import FORGOTTEN_MEMBER, Actor, AuditEntry, Kudos
from bot.handlers.context import Ports, community_zone, load_community
from bot.handlers.kudos import join_names
from bot.replies import Reply, refuse
from bot.text import shorten

RECENT_LIMIT = 20
REASON_PREVIEW = 80


def _name(member_id: str, names: dict[str, str]) -> str:
    if member_id == FORGOTTEN_MEMBER:
        return "a former member"
    return names.get(member_id, member_id)


def _line(kudos: Kudos, names: dict[str, str], when: str) -> str:
    receivers = join_names([_name(r, names) for r in kudos.recipient_ids])
    reason = shorten(kudos.reason, REASON_PREVIEW) if kudos.reason else "(erased)"
    hidden = " [hidden from digests]" if kudos.hidden else ""
    return f"#{kudos.id} {when} {_name(kudos.giver_id, names)} → {receivers}: {reason}{hidden}"


async def list_recent(ports: Ports, actor: Actor, command: ListRecentKudos) -> Reply:
    now = ports.clock.now()
    async with ports.uow() as uow:
        community = await load_community(uow, actor.community_id, now)
        latest = await uow.kudos.recent(actor.community_id, RECENT_LIMIT)
        people = {p for k in latest for p in (k.giver_id, *k.recipient_ids)}
        known = await uow.members.many(actor.community_id, sorted(people))
        await uow.commit()
    if not latest:
        return Reply(text="No kudos yet in this community.")
    names = {member_id: m.display_name for member_id, m in known.items()}
    zone = community_zone(community)
    lines = [f"The latest {len(latest)} kudos (hide one with /connections admin hide 123):"]
    lines += [_line(k, names, f"{k.created_at.astimezone(zone):%d %b %H:%M}") for k in latest]
    return Reply(text="\n".join(lines))


async def hide_kudos(ports: Ports, actor: Actor, command: HideKudos) -> Reply:
    now = ports.clock.now()
    async with ports.uow() as uow:
        kudos = await uow.kudos.get(actor.community_id, command.kudos_id)
        if kudos is None:
            return refuse(
                f"There is no kudos #{command.kudos_id} here. /connections admin recent lists "
                "the latest ones with their numbers."
            )
        if kudos.hidden == command.hidden:
            state = "already hidden from" if kudos.hidden else "already shown in"
            return Reply(text=f"Kudos #{command.kudos_id} is {state} digests.")
        await uow.kudos.set_hidden(actor.community_id, command.kudos_id, command.hidden)
        await uow.audit.add(
            AuditEntry(
                community_id=actor.community_id,
                actor_id=actor.member_id,
                action="kudos.hide" if command.hidden else "kudos.unhide",
                detail=f"#{command.kudos_id}",
                created_at=now,
            )
        )
        await uow.commit()
    if command.hidden:
        return Reply(
            text=f"Kudos #{command.kudos_id} is hidden from digests. The people involved still "
            f"see it in their own summaries. /connections admin unhide {command.kudos_id} "
            "undoes this."
        )
    return Reply(text=f"Kudos #{command.kudos_id} is shown in digests again.")
