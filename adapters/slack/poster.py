"""Posting the weekly digest to a community's channel (the Poster port)."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from adapters.slack.clients import SlackClients, team_of
from adapters.slack.digest_blocks import digest_blocks, digest_fallback_text
from adapters.slack.sender import MessageSender
from bot.digest.model import Digest
from bot.domain import Community

log = logging.getLogger(__name__)


class NoDigestChannelError(LookupError):
    pass


class SlackPoster:
    def __init__(self, clients: SlackClients, sender: MessageSender) -> None:
        self._clients = clients
        self._sender = sender

    async def post_digest(self, community: Community, digest: Digest) -> None:
        """Raises when Slack refuses, so the scheduler records the failure and tries again."""
        if not community.digest_channel:
            raise NoDigestChannelError(
                f"{community.id} has no digest channel: /connections admin digest channel #name"
            )
        team_id = team_of(community.id)
        channel = community.digest_channel
        blocks, text = digest_blocks(digest), digest_fallback_text(digest)
        try:
            await self._sender.post(team_id, channel, text, blocks)
        except SlackApiError as exc:
            if exc.response.get("error") != "not_in_channel":
                raise
            # A public channel the bot was never invited to: join it (channels:join) once.
            log.info("joining the digest channel of %s to post there", community.id)
            client = await self._clients.for_team(team_id)
            await client.conversations_join(channel=channel)
            await self._sender.post(team_id, channel, text, blocks)
