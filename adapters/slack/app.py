"""The bolt app: its client, its authorization (one token, or OAuth installations), and
every listener registered on it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.adapter import SlackAdapter
from adapters.slack.events import Events
from adapters.slack.forms import Forms
from adapters.slack.slash_commands import SlashCommands

# What the app asks for when installed; deploy/slack/manifest.yml declares the same.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:join",
    "channels:history",
    "groups:history",
    "im:write",
    "users:read",
    "reactions:read",
    "files:write",
)


@dataclass(frozen=True)
class OAuthConfig:
    client_id: str
    client_secret: str
    installations: AsyncInstallationStore
    states: AsyncOAuthStateStore


def authorization_url(api_base_url: str) -> str:
    """Where installers are sent: slack.com, or the same host for GovSlack."""
    base = api_base_url.rstrip("/").removesuffix("/api")
    return f"{base}/oauth/v2/authorize"


def build_bolt_app(
    client: AsyncWebClient,
    adapter: SlackAdapter,
    signing_secret: str,
    api_base_url: str,
    oauth: OAuthConfig | None = None,
) -> AsyncApp:
    logger = logging.getLogger("adapters.slack.bolt")
    if oauth is None:
        app = AsyncApp(
            client=client,
            signing_secret=signing_secret,
            # The listener's ack is the HTTP response: no 10 ms polling for it, and the
            # slow work is started by our listeners after their ack.
            process_before_response=True,
            logger=logger,
        )
    else:
        settings = AsyncOAuthSettings(
            client_id=oauth.client_id,
            client_secret=oauth.client_secret,
            scopes=list(BOT_SCOPES),
            user_scopes=[],
            installation_store=oauth.installations,
            installation_store_bot_only=True,
            state_store=oauth.states,
            authorization_url=authorization_url(api_base_url),
            logger=logger,
        )
        app = AsyncApp(
            client=client,
            signing_secret=signing_secret,
            process_before_response=True,
            logger=logger,
            oauth_settings=settings,
            installation_store=oauth.installations,
            installation_store_bot_only=True,
            # Our own authorize, so token refreshes also go to SLACK_API_BASE_URL (bolt takes
            # an AsyncAuthorize instance here, though its annotation names only callables).
            authorize=AsyncInstallationStoreAuthorize(  # type: ignore[arg-type]
                logger=logger,
                client_id=oauth.client_id,
                client_secret=oauth.client_secret,
                installation_store=oauth.installations,
                bot_only=True,
                client=client,
            ),
        )
        _remove_installations_on_uninstall(app, adapter, oauth.installations)
    SlashCommands(adapter).register(app)
    Forms(adapter).register(app)
    Events(adapter).register(app)
    return app


def _remove_installations_on_uninstall(
    app: AsyncApp, adapter: SlackAdapter, installations: AsyncInstallationStore
) -> None:
    """Bolt's own revocation listeners, plus forgetting the token we cached."""
    revocations = AsyncTokenRevocationListeners(installations)

    async def app_uninstalled(context: AsyncBoltContext) -> None:
        await revocations.handle_app_uninstalled_events(context)
        if context.team_id:
            adapter.clients.forget(context.team_id)

    async def tokens_revoked(event: dict[str, object], context: AsyncBoltContext) -> None:
        await revocations.handle_tokens_revoked_events(event, context)
        if context.team_id:
            adapter.clients.forget(context.team_id)

    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)
