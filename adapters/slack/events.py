"""Events API: the App Home tab, thank-you reactions, and the de-duplication of retries.

Slack re-delivers an event it thinks was not acked (with `X-Slack-Retry-Num`), and bolt
does not de-duplicate. Retries of a recent `event_id` are dropped here; anything an event
records is keyed on what it means (a reaction: team, channel, message, who, which emoji) in
the deliveries table, so a retry arriving at another replica, or a reaction removed and
added again, records nothing twice.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse

from adapters.slack import views
from adapters.slack.adapter import SlackAdapter
from adapters.slack.clients import community_id
from adapters.slack.reactions import base_emoji
from adapters.slack.render import reply_text
from bot import commands as c
from bot.domain import Actor
from bot.replies import Reply

log = logging.getLogger(__name__)

RECENT_EVENTS = 10_000
MAX_DELIVERY_ID = 255


def reaction_reason(emoji: str) -> str:
    return f"reacted with :{emoji}: to a message"


class RecentEvents:
    """event_ids seen lately in this process (the first line of de-duplication)."""

    def __init__(self, size: int = RECENT_EVENTS) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def first_time(self, event_id: str) -> bool:
        if event_id in self._seen:
            return False
        self._seen[event_id] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True


class Events:
    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter
        self.recent = RecentEvents()

    def register(self, app: AsyncApp) -> None:
        app.middleware(self.drop_repeats_and_bots)
        app.event("app_home_opened")(self.home_opened)
        app.event("reaction_added")(self.reaction_added)

    async def drop_repeats_and_bots(
        self, body: dict[str, Any], resp: BoltResponse, next: Callable[[], Awaitable[None]]
    ) -> BoltResponse:
        if body.get("type") == "event_callback":
            event = body.get("event") or {}
            event_id = body.get("event_id")
            if event.get("bot_id") or event.get("subtype") == "bot_message":
                return BoltResponse(status=200, body="")
            if isinstance(event_id, str) and not self.recent.first_time(event_id):
                log.info("dropping a repeated delivery of event %s", event_id)
                return BoltResponse(status=200, body="")
        await next()
        return resp

    async def home_opened(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        if event.get("tab") != "home" or not context.team_id or not event.get("user"):
            return
        self.adapter.background.spawn(
            self.publish_home(context.team_id, event["user"]), "publishing App Home"
        )

    async def publish_home(self, team_id: str, user_id: str) -> None:
        actor = await self.adapter.actor(team_id, user_id, "")
        summary = await self.adapter.service.handle(actor, c.ShowMe())
        offers = await self.adapter.service.handle(actor, c.ListOffers())
        client = await self.adapter.clients.for_team(team_id)
        await client.views_publish(user_id=user_id, view=views.home_view(summary.text, offers.text))

    async def reaction_added(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        item = event.get("item") or {}
        reactor, author = event.get("user"), event.get("item_user")
        team_id = context.team_id
        if item.get("type") != "message" or not team_id or not reactor or not author:
            return
        if author in (reactor, context.bot_user_id):
            return
        community = community_id(team_id)
        emoji = base_emoji(str(event.get("reaction", "")))
        wanted = await self.adapter.reactions.emoji(community)
        if wanted is None or emoji != wanted:
            return
        info = await self.adapter.directory.lookup(community, reactor)
        if info is None or info.is_bot:
            return
        author_info = await self.adapter.directory.lookup(community, author)
        if author_info is None or author_info.is_bot:
            return  # reacting to a bot's message is not a thank-you to anyone
        channel = str(item.get("channel", ""))
        actor = Actor(
            community_id=community,
            member_id=reactor,
            display_name=info.display_name,
            is_platform_admin=info.is_platform_admin,
            channel_id=channel,
        )
        key = f"slack-reaction:{team_id}:{channel}:{item.get('ts')}:{reactor}:{emoji}"
        command = c.GiveKudos(
            recipient_ids=(author,),
            reason=reaction_reason(emoji),
            delivery_id=key[:MAX_DELIVERY_ID],
        )

        async def tell_reactor(reply: Reply) -> None:
            # A success or a refusal is worth a quiet word to the reactor; a repeat is not.
            if reply.announcement is None and reply.ok:
                return
            client = await self.adapter.clients.for_team(team_id)
            await client.chat_postEphemeral(channel=channel, user=reactor, text=reply_text(reply))

        reply = await self.adapter.ask(actor, command, tell_reactor)
        if reply is not None:
            self.adapter.background.spawn(tell_reactor(reply), "reaction reply")
