"""Admin digest commands: `digest preview` (only to the admin) and `digest now`."""

from __future__ import annotations

from datetime import datetime

from bot.commands import PreviewDigest, SendDigestNow
from bot.digest.actions import SendResult, preview, send_now
from bot.digest.model import DigestRecord
from bot.digest.publisher import DigestDelivery, DigestPublisher
from bot.digest.text import digest_text
from bot.digest.timing import covered_until
from bot.domain import Actor, Community
from bot.handlers.context import Ports, community_zone, load_community
from bot.replies import Reply, refuse
from bot.service import ConnectionsService

PREVIEW_HEADER = "Preview of this week's digest (only you can see this):"


def _when(community: Community, at: datetime) -> str:
    return f"{at.astimezone(community_zone(community)):%a %d %b %H:%M %Z}"


class DigestCommands:
    """The two handlers, bound to this process's digest delivery (poster, policy, worker)."""

    def __init__(self, delivery: DigestDelivery) -> None:
        self._delivery = delivery

    def _publisher(self, ports: Ports) -> DigestPublisher:
        return DigestPublisher(ports.uow, self._delivery, ports.clock)

    async def preview(self, ports: Ports, actor: Actor, command: PreviewDigest) -> Reply:
        now = ports.clock.now()
        async with ports.uow() as uow:
            community = await load_community(uow, actor.community_id, now)
            await uow.commit()
        digest = await preview(self._publisher(ports), community, now)
        return Reply(text=f"{PREVIEW_HEADER}\n{digest_text(digest)}", digest=digest)

    async def send_now(self, ports: Ports, actor: Actor, command: SendDigestNow) -> Reply:
        result = await send_now(
            ports.uow, self._publisher(ports), ports.clock, actor.community_id, actor.member_id
        )
        async with ports.uow() as uow:
            community = await load_community(uow, actor.community_id, ports.clock.now())
        return send_reply(community, result, ports.clock.now())


def send_reply(community: Community, result: SendResult, now: datetime) -> Reply:
    """What an admin is told after `digest now` (the command line says the same)."""
    if result.covered_by is not None:
        return refuse(_covered(community, result.covered_by, result, now))
    if result.outcome is None:
        return refuse(_taken(community, result.existing, result))
    outcome = result.outcome
    where = f" to {community.digest_channel}" if community.digest_channel else ""
    if outcome.status == "posted":
        if result.cycle > now:
            scheduled = (
                f"It counts as this week's digest: the one scheduled for "
                f"{_when(community, result.cycle)} will not be posted."
            )
        else:
            scheduled = "It counts as this week's digest."
        return Reply(
            text=f"Posted the digest{where}. {scheduled} The next one is due "
            f"{_when(community, result.following)}."
        )
    if outcome.status == "released":
        return refuse(
            f"I couldn't post the digest{where}: {outcome.error}. Nothing was posted; "
            "fix that (e.g. /connections admin digest channel #general) and try again."
        )
    retry = outcome.record.next_attempt_at
    if retry is None:
        return refuse(f"I couldn't post the digest{where}: {outcome.error}.")
    return refuse(
        f"I couldn't post the digest{where} yet ({outcome.error}). I'll try again "
        f"automatically from {_when(community, retry)}; it counts as this week's digest."
    )


def _taken(community: Community, existing: DigestRecord | None, result: SendResult) -> str:
    following = f"The next one is due {_when(community, result.following)}."
    if existing is not None and existing.status == "posted" and existing.posted_at:
        return (
            f"This week's digest was already posted ({_when(community, existing.posted_at)}). "
            + following
        )
    if existing is not None and existing.status == "failed":
        return (
            "This week's digest could not be posted yet"
            + (f" ({existing.last_error})" if existing.last_error else "")
            + "; I'm retrying it automatically. "
            + following
        )
    if existing is not None and existing.status == "skipped":
        return f"This week's digest was skipped. {following}"
    return f"This week's digest is being posted right now. {following}"


def _covered(community: Community, last: DigestRecord, result: SendResult, now: datetime) -> str:
    posted = f" (posted {_when(community, last.posted_at)})" if last.posted_at else ""
    # Nothing was claimed: the scheduled digest still comes (an overdue one is skipped).
    following = result.cycle if result.cycle > now else result.following
    return (
        f"The last digest{posted} covers the days up to "
        f"{_when(community, covered_until(last, community))}: less than a day has passed "
        f"since, so there is nothing new to post yet. The next one is due "
        f"{_when(community, following)}."
    )


def register_digest_commands(service: ConnectionsService, delivery: DigestDelivery) -> None:
    """Adds `digest preview` and `digest now` to the service."""
    commands = DigestCommands(delivery)
    service.register(PreviewDigest, commands.preview)
    service.register(SendDigestNow, commands.send_now)
