"""Admin commands: digest settings, prompts, limits, admins and stats; all audited."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from bot.analytics import RETURN_WINDOW, weekly_stats
from bot.commands import (
    AddPrompt,
    GrantAdmin,
    ListPrompts,
    PauseDigest,
    RemovePrompt,
    ResumeDigest,
    RevokeAdmin,
    SetDigestChannel,
    SetDigestSchedule,
    SetLimit,
    SetReactionEmoji,
    ShowStats,
)
from bot.domain import Actor, AuditEntry, Community, Member, Prompt
from bot.handlers.context import Ports, load_community
from bot.parsing import LIMIT_USAGE
from bot.ports import UnitOfWork
from bot.replies import Reply, refuse
from bot.schedule import WEEKDAYS, load_zone, next_due, parse_time
from bot.text import clean, shorten

MIN_PROMPT = 10
MAX_PROMPT = 300
MAX_PROMPTS = 50
LIMITS = {"daily": (0, 1000), "reason": (1, 500), "burst": (0, 100)}
STATS_WEEKS = 8


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"


async def _audit(uow: UnitOfWork, actor: Actor, action: str, detail: str, ports: Ports) -> None:
    await uow.audit.add(
        AuditEntry(
            community_id=actor.community_id,
            actor_id=actor.member_id,
            action=action,
            detail=detail,
            created_at=ports.clock.now(),
        )
    )


async def _change_community(
    ports: Ports, actor: Actor, action: str, detail: str, **changes: object
) -> Community:
    now = ports.clock.now()
    async with ports.uow() as uow:
        community = await load_community(uow, actor.community_id, now)
        updated = replace(community, **changes)  # type: ignore[arg-type]
        # Resuming recomputes too: a due time that passed while paused must not fire at once.
        if {"digest_weekday", "digest_time", "timezone"} & changes.keys() or (
            changes.get("paused") is False and community.paused
        ):
            updated = replace(
                updated,
                next_digest_due_at=next_due(
                    updated.digest_weekday, updated.digest_time, updated.timezone, now
                ),
            )
        await uow.communities.save(updated)
        await _audit(uow, actor, action, detail, ports)
        await uow.commit()
    return updated


def describe_schedule(c: Community) -> str:
    due = c.next_digest_due_at
    zone = load_zone(c.timezone)
    when = f" Next one: {due.astimezone(zone):%a %d %b %H:%M %Z}." if due and zone else ""
    return f"{WEEKDAYS[c.digest_weekday].capitalize()} {c.digest_time} {c.timezone}.{when}"


async def set_channel(ports: Ports, actor: Actor, command: SetDigestChannel) -> Reply:
    channel = clean(command.channel_id)
    if not channel or len(channel) > 100:
        return refuse("Which channel? e.g. /connections admin digest channel #general")
    await _change_community(ports, actor, "digest.channel", channel, digest_channel=channel)
    return Reply(text=f"The weekly digest will be posted in {channel}.")


async def set_schedule(ports: Ports, actor: Actor, command: SetDigestSchedule) -> Reply:
    # ASCII first: parse_time trusts str.isdigit(), which passes "²" that int() refuses.
    hour_minute = parse_time(command.time) if command.time.isascii() else None
    if hour_minute is None:
        return refuse("The time must be HH:MM on a 24-hour clock, e.g. 09:00.")
    timezone = command.timezone
    if timezone is None:
        async with ports.uow() as uow:
            timezone = (await load_community(uow, actor.community_id, ports.clock.now())).timezone
            await uow.commit()
    if load_zone(timezone) is None:
        return refuse(
            f"I don't know the time zone “{shorten(clean(timezone), 60)}”. Use an IANA name "
            "like Europe/Berlin, America/New_York or UTC."
        )
    hour, minute = hour_minute
    community = await _change_community(
        ports,
        actor,
        "digest.schedule",
        f"{WEEKDAYS[command.weekday]} {hour:02d}:{minute:02d} {timezone}",
        digest_weekday=command.weekday,
        digest_time=f"{hour:02d}:{minute:02d}",
        timezone=timezone.strip(),
    )
    return Reply(text=f"Digest schedule set: {describe_schedule(community)}")


async def pause(ports: Ports, actor: Actor, command: PauseDigest | ResumeDigest) -> Reply:
    paused = isinstance(command, PauseDigest)
    community = await _change_community(
        ports, actor, "digest.pause" if paused else "digest.resume", "", paused=paused
    )
    if paused:
        return Reply(
            text="The weekly digest is paused. /connections admin digest resume restarts it."
        )
    return Reply(text=f"The weekly digest is back on: {describe_schedule(community)}")


async def add_prompt(ports: Ports, actor: Actor, command: AddPrompt) -> Reply:
    text = clean(command.text)
    if len(text) < MIN_PROMPT:
        return refuse(
            "A prompt invites people to help without being asked, e.g. "
            "/connections admin prompt add Review a pull request you were not asked to review"
        )
    if len(text) > MAX_PROMPT:
        return refuse(f"Please keep a prompt under {MAX_PROMPT} characters.")
    now = ports.clock.now()
    async with ports.uow() as uow:
        await load_community(uow, actor.community_id, now)
        existing = await uow.prompts.list(actor.community_id)
        if len(existing) >= MAX_PROMPTS:
            return refuse(f"There are already {MAX_PROMPTS} prompts; remove one first.")
        if any(p.text.lower() == text.lower() for p in existing):
            return refuse("That prompt is already in the list.")
        prompt = await uow.prompts.add(
            Prompt(community_id=actor.community_id, text=text, created_at=now)
        )
        await _audit(uow, actor, "prompt.add", f"#{prompt.id} {text}", ports)
        await uow.commit()
    return Reply(text=f"Prompt #{prompt.id} added to the rotation: “{text}”")


async def list_prompts(ports: Ports, actor: Actor, command: ListPrompts) -> Reply:
    async with ports.uow() as uow:
        prompts = await uow.prompts.list(actor.community_id)
    if not prompts:
        return Reply(
            text="No prompts of your own yet: the digest uses the built-in ones. Add one with "
            "/connections admin prompt add ..."
        )
    lines = ["Prompts in rotation:"] + [f"#{p.id} {p.text}" for p in prompts]
    return Reply(text="\n".join(lines))


async def remove_prompt(ports: Ports, actor: Actor, command: RemovePrompt) -> Reply:
    async with ports.uow() as uow:
        removed = await uow.prompts.remove(actor.community_id, command.prompt_id)
        if not removed:
            return refuse(
                f"There is no prompt #{command.prompt_id}. See /connections admin prompt list."
            )
        await _audit(uow, actor, "prompt.remove", f"#{command.prompt_id}", ports)
        await uow.commit()
    return Reply(text=f"Prompt #{command.prompt_id} removed.")


async def set_limit(ports: Ports, actor: Actor, command: SetLimit) -> Reply:
    bounds = LIMITS.get(command.kind)
    if bounds is None:
        return refuse(LIMIT_USAGE)
    low, high = bounds
    if not low <= command.value <= high:
        return refuse(f"The {command.kind} limit must be between {low} and {high}.")
    if command.kind == "daily":
        await _change_community(
            ports, actor, "limit.daily", str(command.value), daily_kudos_limit=command.value
        )
        if command.value == 0:
            return Reply(text="The daily kudos limit is off.")
        return Reply(text=f"Each member can now give up to {command.value} kudos a day.")
    if command.kind == "burst":
        await _change_community(
            ports, actor, "limit.burst", str(command.value), burst_kudos_limit=command.value
        )
        if command.value == 0:
            return Reply(text="The per-minute kudos limit is off.")
        return Reply(text=f"Each member can now give up to {command.value} kudos a minute.")
    await _change_community(
        ports, actor, "limit.reason", str(command.value), min_reason_length=command.value
    )
    return Reply(text=f"A kudos reason now needs at least {command.value} characters.")


# An emoji's short name as Slack writes it between colons (":raised_hands:", ":+1:").
_EMOJI_NAME = re.compile(r"^[a-z0-9_+\-']{1,100}$")


async def set_reaction(ports: Ports, actor: Actor, command: SetReactionEmoji) -> Reply:
    if command.emoji is None:
        await _change_community(ports, actor, "reaction.off", "", reaction_emoji=None)
        return Reply(text="Reactions no longer thank anyone. Members can still use /kudos.")
    name = clean(command.emoji).strip(":").split("::", 1)[0].lower()
    if not _EMOJI_NAME.match(name):
        return refuse(
            "Give the emoji as Slack writes it, e.g. /connections admin reaction :raised_hands: "
            "(or reaction off)."
        )
    await _change_community(ports, actor, "reaction.set", name, reaction_emoji=name)
    return Reply(
        text=f"Reacting with :{name}: to a message now thanks its author (once per person "
        "and message). /connections admin reaction off turns this off."
    )


async def set_admin(ports: Ports, actor: Actor, command: GrantAdmin | RevokeAdmin) -> Reply:
    grant = isinstance(command, GrantAdmin)
    info = await ports.directory.lookup(actor.community_id, command.member_id)
    if info is None or info.is_bot:
        return refuse("Name a member of this community, e.g. /connections admin grant @alice")
    if not grant and info.id == actor.member_id:
        return refuse("You can't remove your own admin rights; ask another admin.")
    now = ports.clock.now()
    async with ports.uow() as uow:
        await load_community(uow, actor.community_id, now)
        member = await uow.members.get(actor.community_id, info.id) or Member(
            community_id=actor.community_id, id=info.id, display_name=info.display_name
        )
        await uow.members.save(replace(member, is_admin=grant))
        await _audit(uow, actor, "admin.grant" if grant else "admin.revoke", info.id, ports)
        await uow.commit()
    if grant:
        return Reply(text=f"{info.display_name} can now use the admin commands.")
    return Reply(text=f"{info.display_name} is no longer a named admin.")


async def show_stats(ports: Ports, actor: Actor, command: ShowStats) -> Reply:
    now = ports.clock.now()
    since = now - timedelta(days=7 * STATS_WEEKS) - RETURN_WINDOW
    async with ports.uow() as uow:
        history = await uow.kudos.between(actor.community_id, since, now)
    weeks = weekly_stats(history, now, STATS_WEEKS)
    lines = ["Last 8 weeks (week starting · kudos · givers · one-way · unprompted):"]
    for w in weeks:
        lines.append(
            f"{w.week_start:%d %b} · {w.kudos} · {w.givers} · "
            f"{_percent(w.one_way_share)} · {_percent(w.unprompted_share)}"
        )
    return Reply(text="\n".join(lines))
