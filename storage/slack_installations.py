"""Slack OAuth installations and install states in our own database (SQLAlchemy Core).

Implements slack_sdk's AsyncInstallationStore and AsyncOAuthStateStore, so bolt's OAuth
flow and authorization use them directly. A (re)install keeps one bot row per workspace and
one row per installing user; an uninstall (`app_uninstalled`, `tokens_revoked`) deletes them.
A look-up by team id alone finds a workspace inside an Enterprise Grid too; org-wide installs
(no team id) are stored, but the adapter, which looks tokens up by team, does not use them.
These tables sit outside the community tables on purpose: they hold tokens, which never
belong in a community backup.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Index,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import tables as t
from storage.types import Id, UtcDateTime

log = logging.getLogger(__name__)

metadata = MetaData(naming_convention=t.metadata.naming_convention)

SLACK_ID = 32
TOKEN = 1000

slack_bots = Table(
    "slack_bots",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("enterprise_id", String(SLACK_ID)),
    Column("team_id", String(SLACK_ID)),
    Column("is_enterprise_install", Boolean, nullable=False, default=False),
    Column("app_id", String(SLACK_ID)),
    Column("enterprise_name", String(200)),
    Column("team_name", String(200)),
    Column("bot_token", String(TOKEN), nullable=False),
    Column("bot_id", String(SLACK_ID), nullable=False),
    Column("bot_user_id", String(SLACK_ID), nullable=False),
    Column("bot_scopes", Text),
    Column("bot_refresh_token", String(TOKEN)),
    Column("bot_token_expires_at", UtcDateTime),
    Column("installed_at", UtcDateTime, nullable=False),
    Index("ix_slack_bots_enterprise_team", "enterprise_id", "team_id"),
)

slack_installations = Table(
    "slack_installations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("enterprise_id", String(SLACK_ID)),
    Column("team_id", String(SLACK_ID)),
    Column("user_id", String(SLACK_ID), nullable=False),
    Column("is_enterprise_install", Boolean, nullable=False, default=False),
    Column("app_id", String(SLACK_ID)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(500)),
    Column("team_name", String(200)),
    Column("bot_token", String(TOKEN)),
    Column("bot_id", String(SLACK_ID)),
    Column("bot_user_id", String(SLACK_ID)),
    Column("bot_scopes", Text),
    Column("bot_refresh_token", String(TOKEN)),
    Column("bot_token_expires_at", UtcDateTime),
    Column("user_token", String(TOKEN)),
    Column("user_scopes", Text),
    Column("user_refresh_token", String(TOKEN)),
    Column("user_token_expires_at", UtcDateTime),
    Column("token_type", String(32)),
    Column("installed_at", UtcDateTime, nullable=False),
    Index("ix_slack_installations_enterprise_team_user", "enterprise_id", "team_id", "user_id"),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    metadata,
    Column("state", String(100), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

STATE_LIFETIME = timedelta(minutes=10)


def _now() -> datetime:
    return datetime.now(UTC)


def _when(timestamp: float | int | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)


def _scopes(scopes: Any) -> str:
    return ",".join(scopes) if isinstance(scopes, list | tuple) else str(scopes or "")


def _same(table: Table, enterprise_id: str | None, team_id: str | None) -> ColumnElement[bool]:
    # None means "no enterprise" (or an org-wide install's missing team): IS NULL, not = NULL.
    def equal(column: Column[Any], value: str | None) -> ColumnElement[bool]:
        return column.is_(None) if value is None else column == value

    return and_(equal(table.c.enterprise_id, enterprise_id), equal(table.c.team_id, team_id))


def _found(table: Table, enterprise_id: str | None, team_id: str | None) -> ColumnElement[bool]:
    """What a look-up matches: a team id alone finds its workspace whatever its enterprise
    (team ids are unique across Slack), so a Grid workspace is found by its team id too."""
    if enterprise_id is None and team_id is not None:
        return table.c.team_id == team_id
    return _same(table, enterprise_id, team_id)


def _bot_row(bot: Bot) -> dict[str, Any]:
    return {
        "enterprise_id": bot.enterprise_id,
        "team_id": bot.team_id,
        "is_enterprise_install": bool(bot.is_enterprise_install),
        "app_id": bot.app_id,
        "enterprise_name": bot.enterprise_name,
        "team_name": bot.team_name,
        "bot_token": bot.bot_token,
        "bot_id": bot.bot_id,
        "bot_user_id": bot.bot_user_id,
        "bot_scopes": _scopes(bot.bot_scopes),
        "bot_refresh_token": bot.bot_refresh_token,
        "bot_token_expires_at": _when(bot.bot_token_expires_at),
        "installed_at": _when(bot.installed_at) or _now(),
    }


def _installation_row(i: Installation) -> dict[str, Any]:
    return {
        "enterprise_id": i.enterprise_id,
        "team_id": i.team_id,
        "user_id": i.user_id,
        "is_enterprise_install": bool(i.is_enterprise_install),
        "app_id": i.app_id,
        "enterprise_name": i.enterprise_name,
        "enterprise_url": i.enterprise_url,
        "team_name": i.team_name,
        "bot_token": i.bot_token,
        "bot_id": i.bot_id,
        "bot_user_id": i.bot_user_id,
        "bot_scopes": _scopes(i.bot_scopes),
        "bot_refresh_token": i.bot_refresh_token,
        "bot_token_expires_at": _when(i.bot_token_expires_at),
        "user_token": i.user_token,
        "user_scopes": _scopes(i.user_scopes),
        "user_refresh_token": i.user_refresh_token,
        "user_token_expires_at": _when(i.user_token_expires_at),
        "token_type": i.token_type,
        "installed_at": _when(i.installed_at) or _now(),
    }


class SqlSlackInstallationStore(AsyncInstallationStore):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        """A (re)install replaces the workspace's bot and that installer's row."""
        row = _installation_row(installation)
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(slack_installations).where(
                    _same(slack_installations, installation.enterprise_id, installation.team_id),
                    slack_installations.c.user_id == installation.user_id,
                )
            )
            await conn.execute(insert(slack_installations).values(**row))
        if installation.bot_token:
            await self.async_save_bot(installation.to_bot())

    async def async_save_bot(self, bot: Bot) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(slack_bots).where(_same(slack_bots, bot.enterprise_id, bot.team_id))
            )
            await conn.execute(insert(slack_bots).values(**_bot_row(bot)))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        if is_enterprise_install:
            team_id = None
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(slack_bots)
                    .where(_found(slack_bots, enterprise_id, team_id))
                    .order_by(slack_bots.c.installed_at.desc(), slack_bots.c.id.desc())
                    .limit(1)
                )
            ).first()
        if row is None:
            return None
        r = row._mapping
        return Bot(
            app_id=r["app_id"],
            enterprise_id=r["enterprise_id"],
            enterprise_name=r["enterprise_name"],
            team_id=r["team_id"],
            team_name=r["team_name"],
            bot_token=r["bot_token"],
            bot_id=r["bot_id"],
            bot_user_id=r["bot_user_id"],
            bot_scopes=r["bot_scopes"] or "",
            bot_refresh_token=r["bot_refresh_token"],
            bot_token_expires_at=r["bot_token_expires_at"],
            is_enterprise_install=r["is_enterprise_install"],
            installed_at=r["installed_at"].timestamp(),
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        if is_enterprise_install:
            team_id = None
        query = select(slack_installations).where(
            _found(slack_installations, enterprise_id, team_id)
        )
        if user_id is not None:
            query = query.where(slack_installations.c.user_id == user_id)
        query = query.order_by(
            slack_installations.c.installed_at.desc(), slack_installations.c.id.desc()
        ).limit(1)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        r = row._mapping
        return Installation(
            app_id=r["app_id"],
            enterprise_id=r["enterprise_id"],
            enterprise_name=r["enterprise_name"],
            enterprise_url=r["enterprise_url"],
            team_id=r["team_id"],
            team_name=r["team_name"],
            bot_token=r["bot_token"],
            bot_id=r["bot_id"],
            bot_user_id=r["bot_user_id"],
            bot_scopes=r["bot_scopes"] or "",
            bot_refresh_token=r["bot_refresh_token"],
            bot_token_expires_at=r["bot_token_expires_at"],
            user_id=r["user_id"],
            user_token=r["user_token"],
            user_scopes=r["user_scopes"] or "",
            user_refresh_token=r["user_refresh_token"],
            user_token_expires_at=r["user_token_expires_at"],
            is_enterprise_install=r["is_enterprise_install"],
            token_type=r["token_type"],
            installed_at=r["installed_at"].timestamp(),
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(slack_bots).where(_same(slack_bots, enterprise_id, team_id)))

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        query = delete(slack_installations).where(
            _same(slack_installations, enterprise_id, team_id)
        )
        if user_id is not None:
            query = query.where(slack_installations.c.user_id == user_id)
        async with self._engine.begin() as conn:
            await conn.execute(query)


class SqlSlackOAuthStateStore(AsyncOAuthStateStore):
    """One-time `state` values of OAuth installs in progress: any replica can finish one."""

    def __init__(self, engine: AsyncEngine, lifetime: timedelta = STATE_LIFETIME) -> None:
        self._engine = engine
        self._lifetime = lifetime

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        now = _now()
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(slack_oauth_states).where(slack_oauth_states.c.expires_at < now)
            )
            await conn.execute(
                insert(slack_oauth_states).values(state=state, expires_at=now + self._lifetime)
            )
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state issued here and not yet expired; it can't be used again."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(slack_oauth_states).where(
                    slack_oauth_states.c.state == state,
                    slack_oauth_states.c.expires_at >= _now(),
                )
            )
        return bool(result.rowcount)
