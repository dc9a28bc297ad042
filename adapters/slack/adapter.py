"""The hub the listeners share: who is asking, asking the core within the ack budget, and
delivering what a reply carries beyond its text (a public thank-you, a file)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError

from adapters.slack.background import Background
from adapters.slack.clients import SlackClients, community_id
from adapters.slack.directory import SlackDirectory
from adapters.slack.reactions import ReactionSettings
from adapters.slack.render import announcement_text
from adapters.slack.sender import MessageSender
from bot import commands as c
from bot.domain import Actor
from bot.replies import Attachment, KudosAnnouncement, Reply, refuse
from bot.service import ConnectionsService

log = logging.getLogger(__name__)

# Slack cuts a request off at 3 s. The core usually answers in milliseconds; past this, the
# ack says "working on it" and the answer follows through the response URL.
ACK_BUDGET_SECONDS = 1.5
SOMETHING_WENT_WRONG = (
    "Something went wrong on my side and I couldn't finish that. Please try again in a minute."
)
# chat.postMessage errors after which the response URL (which needs no membership) is used.
_CANNOT_POST_THERE = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}

LateReply = Callable[[Reply], Awaitable[None]]


class AdminCheckUnavailableError(Exception):
    """Slack could not say whether the member is a workspace admin (users.info failed)."""


@dataclass
class SlackAdapter:
    service: ConnectionsService
    directory: SlackDirectory
    clients: SlackClients
    sender: MessageSender
    reactions: ReactionSettings
    background: Background = field(default_factory=Background)
    ack_budget: float = ACK_BUDGET_SECONDS

    async def actor(
        self,
        team_id: str,
        user_id: str,
        fallback_name: str,
        channel_id: str | None = None,
        fresh: bool = False,
    ) -> Actor:
        """The member as the core sees them. Admin rights come from users.info: fresh for
        admin commands (raising AdminCheckUnavailableError if Slack cannot say), else cached,
        and a member Slack cannot tell about is treated as a non-admin."""
        community = community_id(team_id)
        try:
            info = await self.directory.lookup(community, user_id, fresh=fresh)
        except Exception as exc:
            if fresh:
                raise AdminCheckUnavailableError from exc
            log.warning("users.info failed for the caller; continuing without admin rights")
            info = None
        return Actor(
            community_id=community,
            member_id=user_id,
            display_name=info.display_name if info else (fallback_name or user_id),
            is_platform_admin=bool(info and info.is_platform_admin),
            channel_id=channel_id,
        )

    async def ask(self, actor: Actor, command: c.Command, late: LateReply) -> Reply | None:
        """The core's reply if it comes within the ack budget; otherwise None, and `late`
        receives the reply when it comes (the work is never abandoned)."""
        task = self.background.track(asyncio.ensure_future(self._handle(actor, command)))
        await asyncio.wait({task}, timeout=self.ack_budget)
        if task.done():
            return task.result()
        log.info("%s is taking longer than the ack budget", type(command).__name__)
        self.background.spawn(self._deliver_late(task, late), "late reply")
        return None

    async def _handle(self, actor: Actor, command: c.Command) -> Reply:
        try:
            reply = await self.service.handle(actor, command)
        except Exception:
            log.exception("handling %s failed", type(command).__name__)
            return refuse(SOMETHING_WENT_WRONG)
        if isinstance(command, c.SetReactionEmoji) and reply.ok:
            self.reactions.forget(actor.community_id)
        return reply

    @staticmethod
    async def _deliver_late(task: asyncio.Future[Reply], late: LateReply) -> None:
        await late(await task)

    def follow_up(
        self,
        reply: Reply,
        team_id: str,
        user_id: str,
        channel_id: str | None,
        respond: AsyncRespond | None,
    ) -> None:
        """Start what the reply carries besides its text, after the ack."""
        if reply.announcement is not None and channel_id:
            self.background.spawn(
                self.announce(team_id, channel_id, reply.announcement, respond), "thank-you post"
            )
        if reply.attachment is not None:
            self.background.spawn(
                self.send_file(team_id, user_id, reply.attachment, respond), "file upload"
            )

    async def announce(
        self,
        team_id: str,
        channel_id: str,
        announcement: KudosAnnouncement,
        respond: AsyncRespond | None,
    ) -> None:
        text = announcement_text(announcement)
        try:
            await self.sender.post(team_id, channel_id, text)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error not in _CANNOT_POST_THERE or not _can_respond(respond):
                raise
            assert respond is not None
            log.info("cannot post in the channel (%s); answering through the response URL", error)
            await respond(text=text, response_type="in_channel")

    async def send_file(
        self, team_id: str, user_id: str, attachment: Attachment, respond: AsyncRespond | None
    ) -> None:
        """Files (exports) go to the member in a DM: a file is private there, and it can be
        as large as it needs to be."""
        try:
            channel = await self.sender.dm_channel(team_id, user_id)
            client = await self.clients.for_team(team_id)
            await client.files_upload_v2(
                channel=channel,
                content=attachment.content,
                filename=attachment.filename,
                title=attachment.filename,
                initial_comment="Here is your file from Smart Connections.",
            )
        except Exception:
            log.exception("could not upload %s", attachment.filename)
            if _can_respond(respond):
                assert respond is not None
                await respond(
                    text="Sorry, I couldn't send you the file just now. Please try again in a "
                    "minute.",
                    response_type="ephemeral",
                )


def _can_respond(respond: AsyncRespond | None) -> bool:
    return respond is not None and getattr(respond, "response_url", None) is not None


def text_of(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    return value if isinstance(value, str) else ""
