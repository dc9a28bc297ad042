"""Settings from the environment and an optional .env file; nothing is read at import time."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    # Empty values (e.g. `SLACK_BOT_TOKEN=` in .env.example copies) count as unset.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    database_url: str = Field(
        default="sqlite+aiosqlite:///./smart-connections.db",
        description="SQLAlchemy async URL: SQLite (aiosqlite) or PostgreSQL (asyncpg).",
    )
    log_level: str = Field(default="INFO", description="Python logging level.")
    host: str = Field(default="0.0.0.0", description="Address the HTTP server binds to.")
    port: int = Field(default=3000, description="Port of the HTTP server (Slack, health).")

    slack_bot_token: SecretStr | None = Field(default=None, description="xoxb- token.")
    slack_signing_secret: SecretStr | None = Field(default=None, description="HTTP mode.")
    slack_app_token: SecretStr | None = Field(default=None, description="xapp- Socket Mode.")
    slack_client_id: str | None = Field(default=None, description="OAuth install.")
    slack_client_secret: SecretStr | None = Field(default=None, description="OAuth install.")
    slack_api_base_url: str = Field(
        default="https://slack.com/api/", description="Slack Web API address (GovSlack, tests)."
    )

    discord_token: SecretStr | None = Field(default=None, description="Bot token.")
    discord_api_base_url: str | None = Field(default=None, description="REST address.")
    discord_gateway_url: str | None = Field(default=None, description="Gateway address.")
    discord_shards: str | None = Field(default=None, description="'auto' runs sharded.")
    discord_shard_ids: str | None = Field(
        default=None, description="This process's shards, e.g. '0-3' or '4,5' (split shards)."
    )
    discord_shard_count: int | None = Field(
        default=None, description="Total shards across every process (with DISCORD_SHARD_IDS)."
    )

    digest_grace_hours: float = Field(
        default=24.0, description="A digest missed while down is still posted this late."
    )
    scheduler_tick_seconds: float = Field(default=60.0, description="How often due digests run.")

    @property
    def slack_oauth(self) -> bool:
        return self.slack_client_id is not None and self.slack_client_secret is not None

    @property
    def slack_enabled(self) -> bool:
        """A single-workspace bot token, or multi-workspace OAuth (tokens per install)."""
        return self.slack_bot_token is not None or self.slack_oauth
