"""Kudos: a thank-you in the giver's own words, with the rules that keep it authentic."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime, timedelta

from bot.commands import GiveKudos
from bot.domain import Actor, Community, Kudos, Member, MemberInfo
from bot.errors import DuplicateDeliveryError
from bot.handlers.context import Ports, load_community, start_of_local_day, touch_member
from bot.ports import UnitOfWork
from bot.replies import KudosAnnouncement, Reply, refuse
from bot.text import clean

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 10
MAX_REASON = 1000
MAX_TAGS = 5
MAX_TAG_LENGTH = 30
UNPROMPTED_TAG = "unprompted"
BURST_WINDOW = timedelta(minutes=1)  # the per-minute limit counts kudos given within this
_TAG = re.compile(r"^[^\W_][\w-]*$")
_EMOJI_CODE = re.compile(r":[\w+'-]+:")

HOW = "Try: /kudos @alice for untangling the release script #teamwork"


def normalise_tags(raw: tuple[str, ...]) -> tuple[tuple[str, ...], bool, str | None]:
    """Lower-case, de-duplicate, pull out #unprompted. Returns (tags, unprompted, error)."""
    tags: list[str] = []
    unprompted = False
    for item in raw:
        tag = clean(item).lstrip("#").lower()
        if not tag:
            continue
        if tag == UNPROMPTED_TAG:
            unprompted = True
            continue
        if len(tag) > MAX_TAG_LENGTH or not _TAG.match(tag):
            return (
                (),
                False,
                (
                    f"“#{tag[:MAX_TAG_LENGTH]}” is not a value I can keep: use letters, digits "
                    f"and dashes, up to {MAX_TAG_LENGTH} characters."
                ),
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        return (), False, f"Please pick at most {MAX_TAGS} values (you gave {len(tags)})."
    return tuple(tags), unprompted, None


def _has_words(reason: str) -> bool:
    """Some letters or digits besides emoji (Slack writes emoji as :shortcodes:)."""
    return any(ch.isalnum() for ch in _EMOJI_CODE.sub("", reason))


def join_names(names: list[str] | tuple[str, ...]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


async def give_kudos(ports: Ports, actor: Actor, command: GiveKudos) -> Reply:
    recipients = tuple(dict.fromkeys(r for r in command.recipient_ids if r))
    if not recipients:
        return refuse(f"Who would you like to thank? Mention them by name. {HOW}")
    if len(recipients) > MAX_RECIPIENTS:
        return refuse(
            f"A kudos can thank at most {MAX_RECIPIENTS} people at once "
            f"(you named {len(recipients)}). Split it up, or pick the ones who helped most."
        )
    if actor.member_id in recipients:
        return refuse(
            "Thanking yourself doesn't count, but thanking someone who helped you does! " + HOW
        )
    tags, flag_from_tags, tag_error = normalise_tags(command.tags)
    if tag_error:
        return refuse(tag_error)
    unprompted = command.unprompted or flag_from_tags
    reason = clean(command.reason)
    if len(reason) > MAX_REASON:
        return refuse(
            f"That reason is {len(reason):,} characters; please keep it under {MAX_REASON:,}."
        )

    infos: list[MemberInfo] = []
    for recipient in recipients:
        info = await ports.directory.lookup(actor.community_id, recipient)
        if info is None:
            return refuse(
                "I couldn't find one of the people you mentioned in this community. "
                "Mention them with @ so I know exactly who you mean."
            )
        if info.is_bot:
            return refuse(
                f"{info.display_name} is a bot: bots can't receive kudos. "
                "Thank the person behind the help instead."
            )
        infos.append(info)

    now = ports.clock.now()
    async with ports.uow() as uow:
        community = await load_community(uow, actor.community_id, now)
        if command.delivery_id and await uow.deliveries.seen(
            actor.community_id, command.delivery_id
        ):
            return Reply(text="Already recorded: this thank-you was delivered twice.")
        if len(reason) < community.min_reason_length:
            await uow.commit()
            return refuse(
                f"Tell them what they did, in your own words: a reason of at least "
                f"{community.min_reason_length} characters (yours has {len(reason)}). {HOW}"
            )
        if not _has_words(reason):
            await uow.commit()
            return refuse(f"Tell them in words what they did: emoji or symbols alone don't. {HOW}")
        # Taking turns per giver: a burst sent all at once is counted like one sent in a row.
        await uow.kudos.lock_giver(actor.community_id, actor.member_id)
        refusal = await _over_a_limit(uow, actor, community, now)
        if refusal is not None:
            await uow.commit()
            return refusal
        giver = await touch_member(uow, actor, now)
        for info in infos:
            await _remember_recipient(uow, actor.community_id, info, now)
        kudos = await uow.kudos.add(
            Kudos(
                community_id=actor.community_id,
                giver_id=actor.member_id,
                recipient_ids=recipients,
                reason=reason,
                tags=tags,
                unprompted=unprompted,
                created_at=now,
                delivery_id=command.delivery_id,
            )
        )
        if command.delivery_id:
            try:
                await uow.deliveries.record(actor.community_id, command.delivery_id, now)
            except DuplicateDeliveryError:
                return Reply(text="Already recorded: this thank-you was delivered twice.")
        await uow.commit()

    names = tuple(info.display_name for info in infos)
    try:
        await ports.notifier.kudos_received(kudos, giver.display_name)
    except Exception:  # a failed notification must never lose the recorded kudos
        log.exception("could not notify recipients of kudos %s", kudos.id)
    flag = " (helped without being asked)" if unprompted else ""
    return Reply(
        text=f"Your thanks to {join_names(names)} is recorded{flag}. Thank you for noticing!",
        announcement=KudosAnnouncement(
            giver_id=actor.member_id,
            giver_name=giver.display_name,
            recipient_ids=recipients,
            recipient_names=names,
            reason=reason,
            tags=tags,
            unprompted=unprompted,
        ),
    )


async def _over_a_limit(
    uow: UnitOfWork, actor: Actor, community: Community, now: datetime
) -> Reply | None:
    """The refusal when the giver is over the community's daily or per-minute limit."""
    if community.burst_kudos_limit > 0:
        last_minute = await uow.kudos.count_given_since(
            actor.community_id, actor.member_id, now - BURST_WINDOW
        )
        if last_minute >= community.burst_kudos_limit:
            return refuse(
                f"You've given {last_minute} kudos in the last minute, the most allowed here. "
                "Take a breath and try again in a minute: a thank-you means more unhurried."
            )
    if community.daily_kudos_limit > 0:
        given_today = await uow.kudos.count_given_since(
            actor.community_id, actor.member_id, start_of_local_day(community, now)
        )
        if given_today >= community.daily_kudos_limit:
            return refuse(
                f"You've already given {given_today} kudos today, the daily limit here. "
                "Thank you for being so generous; try again tomorrow!"
            )
    return None


async def _remember_recipient(
    uow: UnitOfWork, community_id: str, info: MemberInfo, now: datetime
) -> None:
    member = await uow.members.get(community_id, info.id)
    if member is None:
        await uow.members.save(
            Member(community_id=community_id, id=info.id, display_name=info.display_name)
        )
    elif member.display_name != info.display_name:
        await uow.members.save(replace(member, display_name=info.display_name))
