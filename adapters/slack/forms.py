"""The thank-you form (message shortcut, global shortcut, App Home button) and the offer form.

A submission is checked field by field first, so a mistake shows under the field it is
about (`response_action: errors`); what only the core can judge (reason length, daily
limit) shows under the reason. On success the modal says what happened.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import views
from adapters.slack.adapter import SlackAdapter
from adapters.slack.clients import community_id
from adapters.slack.markup import truncate
from bot import commands as c
from bot.handlers.kudos import MAX_RECIPIENTS, normalise_tags
from bot.replies import Reply

log = logging.getLogger(__name__)

MAX_ERROR = 300
_VALUE_SEPARATORS = re.compile(r"[,\s]+")


def _team(body: dict[str, Any]) -> str:
    team = body.get("team") or {}
    return str(team.get("id") or body.get("view", {}).get("team_id") or "")


def _user(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    return str(user.get("id", "")), str(user.get("name") or user.get("username") or "")


def split_values(text: str) -> tuple[str, ...]:
    return tuple(v.lstrip("#") for v in _VALUE_SEPARATORS.split(text) if v.strip("#"))


class Forms:
    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter

    def register(self, app: AsyncApp) -> None:
        app.shortcut(views.THANK_AUTHOR_SHORTCUT)(self.thank_author)
        app.shortcut(views.THANK_SOMEONE_SHORTCUT)(self.thank_someone)
        app.action(views.HOME_THANK)(self.thank_someone)
        app.action(views.HOME_OFFER)(self.offer_help)
        app.view(views.KUDOS_FORM)(self.submit_kudos)
        app.view(views.OFFER_FORM)(self.submit_offer)

    def _open(self, client: AsyncWebClient, trigger_id: str, view: views.View) -> None:
        # views.open goes out right after the ack; the trigger stays valid for 3 seconds.
        self.adapter.background.spawn(
            client.views_open(trigger_id=trigger_id, view=view), "opening a form"
        )

    async def thank_author(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        message = body.get("message") or {}
        author = message.get("user")
        user_id, _ = _user(body)
        if message.get("bot_id") or author == user_id:
            author = None  # bots and oneself can't be thanked: start with nobody chosen
        channel = (body.get("channel") or {}).get("id")
        self._open(client, body["trigger_id"], views.kudos_modal(author, channel))

    async def thank_someone(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        self._open(client, body["trigger_id"], views.kudos_modal())

    async def offer_help(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        self._open(client, body["trigger_id"], views.offer_modal())

    async def _recipient_error(self, team_id: str, user_id: str, chosen: list[str]) -> str | None:
        if not chosen:
            return "Choose at least one person who helped."
        if len(chosen) > MAX_RECIPIENTS:
            return f"A thank-you can name at most {MAX_RECIPIENTS} people."
        if user_id in chosen:
            return "Thanking yourself doesn't count: choose the people who helped you."
        for member in chosen:
            info = await self.adapter.directory.lookup(community_id(team_id), member)
            if info is None:
                return "One of them isn't a member of this workspace that I can see."
            if info.is_bot:
                return f"{info.display_name} is a bot: thank the person behind the help instead."
        return None

    async def submit_kudos(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        team_id = _team(body)
        user_id, user_name = _user(body)
        chosen = list(views.state_value(view, views.RECIPIENTS).get("selected_users") or [])
        reason = views.state_value(view, views.REASON).get("value") or ""
        values = split_values(views.state_value(view, views.VALUES).get("value") or "")
        flags = views.state_value(view, views.UNPROMPTED).get("selected_options") or []
        share_in = views.state_value(view, views.SHARE_IN).get("selected_conversation")

        errors: dict[str, str] = {}
        recipient_error = await self._recipient_error(team_id, user_id, chosen)
        if recipient_error:
            errors[views.RECIPIENTS[0]] = recipient_error
        tag_error = normalise_tags(values)[2]
        if tag_error:
            errors[views.VALUES[0]] = tag_error
        if not reason.strip():
            errors[views.REASON[0]] = "Tell them what they did, in your own words."
        if errors:
            await ack(response_action="errors", errors=_short(errors))
            return

        command = c.GiveKudos(
            recipient_ids=tuple(chosen),
            reason=reason,
            tags=values,
            unprompted=any(o.get("value") == "unprompted" for o in flags),
            delivery_id=f"slack-view:{view['id']}",
        )
        actor = await self.adapter.actor(team_id, user_id, user_name, share_in)

        async def late(reply: Reply) -> None:
            title = "Thanks sent" if reply.ok else "Not sent"
            await client.views_update(
                view_id=view["id"], view=views.message_modal(title, reply.text)
            )
            self.adapter.follow_up(reply, team_id, user_id, share_in, respond)

        reply = await self.adapter.ask(actor, command, late)
        if reply is None:
            working = views.message_modal("Thank someone", "Saving your thank-you…")
            await ack(response_action="update", view=working)
            return
        if not reply.ok:
            await ack(response_action="errors", errors=_short({views.REASON[0]: reply.text}))
            return
        await ack(response_action="update", view=views.message_modal("Thanks sent", reply.text))
        self.adapter.follow_up(reply, team_id, user_id, share_in, respond)

    async def submit_offer(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team_id = _team(body)
        user_id, user_name = _user(body)
        text = views.state_value(view, views.OFFER_TEXT).get("value") or ""
        command = c.CreateOffer(text=text, delivery_id=f"slack-view:{view['id']}")
        actor = await self.adapter.actor(team_id, user_id, user_name)

        async def late(reply: Reply) -> None:
            await client.views_update(
                view_id=view["id"], view=views.message_modal("Offer help", reply.text)
            )

        reply = await self.adapter.ask(actor, command, late)
        if reply is None:
            await ack(response_action="update", view=views.message_modal("Offer help", "Saving…"))
            return
        if not reply.ok:
            await ack(response_action="errors", errors=_short({views.OFFER_TEXT[0]: reply.text}))
            return
        await ack(response_action="update", view=views.message_modal("Offer made", reply.text))


def _short(errors: dict[str, str]) -> dict[str, str]:
    # Inline errors are plain text shown under a field: no escaping, but keep them short.
    return {field: truncate(text, MAX_ERROR) for field, text in errors.items()}
