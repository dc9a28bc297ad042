"""Telling recipients they were thanked: a DM each, sent after the ack (the Notifier port)."""

from __future__ import annotations

from adapters.slack.background import Background
from adapters.slack.clients import team_of
from adapters.slack.render import thanked_dm_text
from adapters.slack.sender import MessageSender
from bot.domain import Kudos


class SlackNotifier:
    def __init__(self, sender: MessageSender, background: Background) -> None:
        self._sender = sender
        self._background = background

    async def kudos_received(self, kudos: Kudos, giver_name: str) -> None:
        # Returns at once: the DMs must not hold up the ack, and a failed one is only logged.
        team_id = team_of(kudos.community_id)
        text = thanked_dm_text(kudos, giver_name)
        for recipient in kudos.recipient_ids:
            self._background.spawn(
                self._sender.direct_message(team_id, recipient, text), "thank-you DM"
            )
