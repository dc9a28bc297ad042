"""Web API clients per workspace: one bot token, or the token each installation stored."""

from __future__ import annotations

import logging
import time

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import CommunityId

log = logging.getLogger(__name__)

PLATFORM = "slack"
TOKEN_CACHE_SECONDS = 60.0
RATE_LIMIT_RETRIES = 3
SERVER_ERROR_RETRIES = 4


def community_id(team_id: str) -> CommunityId:
    return f"{PLATFORM}:{team_id}"


def team_of(community: CommunityId) -> str:
    platform, _, team_id = community.partition(":")
    if platform != PLATFORM or not team_id:
        raise ValueError(f"not a Slack community: {community!r}")
    return team_id


def retry_handlers() -> list[AsyncRetryHandler]:
    # A 429 is retried after the Retry-After Slack sends; a 500 or 503 (Slack having a bad
    # moment) with backoff, 0.5, 1, 2, 4 s (jittered); a dropped connection once.
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=1),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        AsyncServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
    ]


def new_client(
    token: str | None, base_url: str, session: aiohttp.ClientSession | None
) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        session=session,
        retry_handlers=retry_handlers(),
        logger=logging.getLogger("adapters.slack.web"),
    )


class NotInstalledError(LookupError):
    """The workspace has no installation (never installed, or uninstalled)."""


class SlackClients:
    """The client to call the Web API with, for a workspace.

    With a single bot token (`SLACK_BOT_TOKEN`) every workspace uses the app's own client;
    with OAuth the bot token comes from the installation store (cached for a minute, so an
    uninstall takes effect quickly while the hot path does not hit the database each time).
    """

    def __init__(
        self,
        app_client: AsyncWebClient,
        base_url: str,
        session: aiohttp.ClientSession | None,
        installations: AsyncInstallationStore | None = None,
    ) -> None:
        self.app_client = app_client
        self._base_url = base_url
        self._session = session
        self._installations = installations
        self._tokens: dict[str, tuple[float, str]] = {}

    async def for_team(self, team_id: str) -> AsyncWebClient:
        if self._installations is None:
            return self.app_client
        token = await self._token(team_id)
        return new_client(token, self._base_url, self._session)

    async def _token(self, team_id: str) -> str:
        cached = self._tokens.get(team_id)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        assert self._installations is not None
        bot = await self._installations.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            self._tokens.pop(team_id, None)
            raise NotInstalledError(f"Smart Connections is not installed in {team_id}")
        self._tokens[team_id] = (now + TOKEN_CACHE_SECONDS, bot.bot_token)
        return str(bot.bot_token)

    def use_session(self, session: aiohttp.ClientSession | None) -> None:
        """Share one connection pool while the runtime serves; without one, slack_sdk opens
        a session per call (fine for a one-off post from the command line)."""
        self._session = session
        self.app_client.session = session

    def forget(self, team_id: str) -> None:
        """Drop the cached token (after an uninstall or a revoked token)."""
        self._tokens.pop(team_id, None)
