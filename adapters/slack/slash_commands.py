"""/kudos, /offer and /connections: parse, ask the core, ack with the answer, then follow up.

Every command is acked with a short ephemeral reply: the core's own answer when it comes
within the ack budget (the usual case: it is a few database statements), else "working on
it" with the answer following through the response URL. Public posts, DMs and files always
go out after the ack.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from adapters.slack.adapter import AdminCheckUnavailableError, SlackAdapter, text_of
from adapters.slack.digest_blocks import MAX_BLOCKS, digest_blocks
from adapters.slack.markup import SLACK_SYNTAX, to_plain, truncate
from adapters.slack.render import reply_text
from bot import commands as c
from bot.parsing import parse_connections, parse_kudos, parse_offer
from bot.replies import Reply

WORKING_ON_IT = "Got it, working on it: I'll answer here in a moment."
FILE_COMING = "I'm sending you the file in a direct message."
CANNOT_CHECK_ADMIN = (
    "I couldn't check your admin rights with Slack just now, so nothing was changed. "
    "Please try again in a minute."
)


def parse_kudos_text(text: str, delivery_id: str | None) -> c.Command:
    """Mentions and #values are read from Slack's escaped text; the reason is kept as the
    member saw it (`<!here>` becomes "@here", which is escaped again whenever it is shown)."""
    command = parse_kudos(text, SLACK_SYNTAX, delivery_id)
    if isinstance(command, c.GiveKudos):
        command = replace(
            command,
            reason=to_plain(command.reason),
            tags=tuple(to_plain(tag) for tag in command.tags),
        )
    return command


def parse_offer_text(text: str, delivery_id: str | None) -> c.Command:
    return parse_offer(to_plain(text), delivery_id)


def parse_connections_text(text: str) -> c.Command:
    command = parse_connections(text, SLACK_SYNTAX)
    if isinstance(command, c.AddPrompt):
        command = replace(command, text=to_plain(command.text))
    return command


def ephemeral(reply: Reply) -> dict[str, Any]:
    """An ephemeral message with the reply (and a digest preview as Block Kit)."""
    text = reply_text(reply)
    if reply.attachment is not None:
        text = f"{text}\n{FILE_COMING}"
    message: dict[str, Any] = {"text": text, "response_type": "ephemeral"}
    if reply.digest is not None:
        title = truncate(text.split("\n", 1)[0], 300)
        preview = {"type": "context", "elements": [{"type": "mrkdwn", "text": title}]}
        message["blocks"] = [preview, *digest_blocks(reply.digest, max_blocks=MAX_BLOCKS - 1)]
    return message


def _delivery_id(body: dict[str, Any]) -> str | None:
    trigger = text_of(body, "trigger_id")
    return f"slack-command:{trigger}" if trigger else None


class SlashCommands:
    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter

    def register(self, app: AsyncApp) -> None:
        app.command("/kudos")(self.kudos)
        app.command("/offer")(self.offer)
        app.command("/connections")(self.connections)

    async def kudos(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        command = parse_kudos_text(text_of(body, "text"), _delivery_id(body))
        await self._run(ack, body, respond, command)

    async def offer(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        command = parse_offer_text(text_of(body, "text"), _delivery_id(body))
        await self._run(ack, body, respond, command)

    async def connections(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await self._run(ack, body, respond, parse_connections_text(text_of(body, "text")))

    async def _run(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, command: c.Command
    ) -> None:
        team_id = text_of(body, "team_id")
        user_id = text_of(body, "user_id")
        channel_id = text_of(body, "channel_id") or None
        try:
            actor = await self.adapter.actor(
                team_id,
                user_id,
                text_of(body, "user_name"),
                channel_id,
                fresh=isinstance(command, c.ADMIN_COMMANDS),
            )
        except AdminCheckUnavailableError:
            await ack(text=CANNOT_CHECK_ADMIN, response_type="ephemeral")
            return

        async def late(reply: Reply) -> None:
            await respond(**ephemeral(reply))
            self.adapter.follow_up(reply, team_id, user_id, channel_id, respond)

        reply = await self.adapter.ask(actor, command, late)
        if reply is None:
            await ack(text=WORKING_ON_IT, response_type="ephemeral")
            return
        await ack(**ephemeral(reply))
        self.adapter.follow_up(reply, team_id, user_id, channel_id, respond)
