"""Posting the weekly digest to a community's channel (the Poster port), and finding a
digest post that an interrupted attempt left behind."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.clients import SlackClients, team_of
from adapters.slack.digest_blocks import digest_blocks, digest_fallback_text
from adapters.slack.sender import MessageSender
from bot.digest.model import Digest, PostKey
from bot.domain import Community

log = logging.getLogger(__name__)

# Message metadata on every digest post (invisible to members): the claim it belongs to.
DIGEST_EVENT = "smart_connections_digest"
# Clocks of our hosts and Slack's differ a little: look back a bit before the claim.
CLOCK_SKEW = timedelta(minutes=2)
HISTORY_PAGE = 200
# A look-up reads the channel from the claim on; a channel this busy since is read no further
# (Slack may also cap pages for some apps: then fewer messages are read).
MAX_HISTORY_PAGES = 10
# Slack allows distributed non-Marketplace apps one history read a minute: a look-up that
# cannot finish in this time gives up and the digest is posted again, never lost waiting.
LOOK_UP_SECONDS = 20.0


class NoDigestChannelError(LookupError):
    pass


def digest_metadata(key: PostKey) -> dict[str, Any]:
    return {"event_type": DIGEST_EVENT, "event_payload": {"claim": key.tag}}


def is_digest_of(message: dict[str, Any], key: PostKey) -> bool:
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != DIGEST_EVENT:
        return False
    payload = metadata.get("event_payload")
    return isinstance(payload, dict) and payload.get("claim") == key.tag


class SlackPoster:
    def __init__(self, clients: SlackClients, sender: MessageSender) -> None:
        self._clients = clients
        self._sender = sender

    async def post_digest(self, community: Community, digest: Digest, key: PostKey) -> None:
        """Raises when Slack refuses, so the scheduler records the failure and tries again."""
        channel = self._channel_of(community)
        team_id = team_of(community.id)
        blocks, text = digest_blocks(digest), digest_fallback_text(digest)
        metadata = digest_metadata(key)
        try:
            await self._sender.post(team_id, channel, text, blocks, metadata)
        except SlackApiError as exc:
            if exc.response.get("error") != "not_in_channel":
                raise
            # A public channel the bot was never invited to: join it (channels:join) once.
            log.info("joining the digest channel of %s to post there", community.id)
            await self._join(team_id, channel)
            await self._sender.post(team_id, channel, text, blocks, metadata)

    async def find_digest(self, community: Community, key: PostKey) -> bool:
        """Reads the channel's history since the claim (channels:history, groups:history) for
        a message carrying this claim's metadata. Raises SlackApiError for what may pass
        (then the attempt is retried later); False when Slack will not let it read."""
        if not community.digest_channel:
            return False
        try:
            async with asyncio.timeout(LOOK_UP_SECONDS):
                return await self._look_up(community, community.digest_channel, key)
        except TimeoutError:
            log.warning(
                "looking for an earlier digest post of %s took too long (Slack's history rate "
                "limit?): posting it again",
                community.id,
            )
            return False

    async def _look_up(self, community: Community, channel: str, key: PostKey) -> bool:
        team_id = team_of(community.id)
        client = await self._clients.for_team(team_id)
        try:
            return await self._search(client, channel, key)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error == "not_in_channel":  # posted with chat:write.public, or never posted
                await self._join(team_id, channel)
                return await self._search(client, channel, key)
            if error in ("missing_scope", "channel_not_found", "access_denied"):
                log.warning(
                    "cannot check whether the digest of %s was already posted (%s): posting "
                    "it again; reinstall the app to grant channels:history and groups:history",
                    community.id,
                    error,
                )
                return False
            raise

    async def _search(self, client: AsyncWebClient, channel: str, key: PostKey) -> bool:
        oldest = f"{(key.claimed_at - CLOCK_SKEW).timestamp():.6f}"
        cursor: str | None = None
        for _ in range(MAX_HISTORY_PAGES):
            page = await client.conversations_history(
                channel=channel,
                oldest=oldest,
                limit=HISTORY_PAGE,
                include_all_metadata=True,
                cursor=cursor,
            )
            if any(is_digest_of(m, key) for m in page.get("messages") or ()):
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not page.get("has_more") or not cursor:
                return False
        log.warning("gave up looking for an earlier digest post in busy channel %s", channel)
        return False

    async def _join(self, team_id: str, channel: str) -> None:
        client = await self._clients.for_team(team_id)
        await client.conversations_join(channel=channel)

    @staticmethod
    def _channel_of(community: Community) -> str:
        if not community.digest_channel:
            raise NoDigestChannelError(
                f"{community.id} has no digest channel: /connections admin digest channel #name"
            )
        return community.digest_channel
