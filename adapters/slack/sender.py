"""Posting messages: at most one a second per channel (Slack's limit), DMs by user id."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

from adapters.slack.clients import SlackClients

MIN_SECONDS_BETWEEN_POSTS = 1.0
MAX_TRACKED = 10_000


class MessageSender:
    def __init__(
        self, clients: SlackClients, min_interval: float = MIN_SECONDS_BETWEEN_POSTS
    ) -> None:
        self._clients = clients
        self._min_interval = min_interval
        # (team, channel) -> the loop time from which the next post to it may go out.
        self._next_slot: dict[tuple[str, str], float] = {}
        self._dm_channels: OrderedDict[tuple[str, str], str] = OrderedDict()

    async def post(
        self,
        team_id: str,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """chat.postMessage, paced per channel; a 429 is retried by the client after its
        Retry-After. Raises SlackApiError when Slack refuses."""
        await self._wait_for_slot(team_id, channel)
        client = await self._clients.for_team(team_id)
        response = await client.chat_postMessage(
            channel=channel,
            text=text,
            blocks=blocks,
            metadata=metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def direct_message(self, team_id: str, user_id: str, text: str) -> None:
        channel = await self.dm_channel(team_id, user_id)
        await self.post(team_id, channel, text)

    async def dm_channel(self, team_id: str, user_id: str) -> str:
        key = (team_id, user_id)
        channel = self._dm_channels.get(key)
        if channel is None:
            client = await self._clients.for_team(team_id)
            response = await client.conversations_open(users=user_id)
            channel = str(response["channel"]["id"])
            self._dm_channels[key] = channel
            while len(self._dm_channels) > MAX_TRACKED:
                self._dm_channels.popitem(last=False)
        return channel

    async def _wait_for_slot(self, team_id: str, channel: str) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        key = (team_id, channel)
        slot = max(now, self._next_slot.get(key, now))
        self._next_slot[key] = slot + self._min_interval
        if len(self._next_slot) > MAX_TRACKED:
            self._next_slot = {k: v for k, v in self._next_slot.items() if v > now}
        if slot > now:
            await asyncio.sleep(slot - now)
