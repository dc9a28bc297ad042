"""Who a Slack user is, from users.info, cached: the MemberDirectory port."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any

from slack_sdk.errors import SlackApiError

from adapters.slack.clients import SlackClients, team_of
from bot.domain import CommunityId, MemberId, MemberInfo

log = logging.getLogger(__name__)

KNOWN_TTL_SECONDS = 300.0
UNKNOWN_TTL_SECONDS = 60.0
MAX_ENTRIES = 10_000
SLACKBOT = "USLACKBOT"
# Errors meaning "there is no such person here", as opposed to Slack being unreachable.
_NOT_A_MEMBER = {"user_not_found", "user_not_visible", "account_inactive"}

_Key = tuple[str, str]


def member_info(user: dict[str, Any]) -> MemberInfo | None:
    """A users.info `user` object as the core sees it; None for deactivated accounts."""
    if user.get("deleted"):
        return None
    profile = user.get("profile") or {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or user["id"]
    )
    return MemberInfo(
        id=user["id"],
        display_name=str(name),
        is_bot=bool(user.get("is_bot")) or user["id"] == SLACKBOT,
        is_platform_admin=bool(user.get("is_admin") or user.get("is_owner")),
    )


class SlackDirectory:
    def __init__(self, clients: SlackClients) -> None:
        self._clients = clients
        self._cache: OrderedDict[_Key, tuple[float, MemberInfo | None]] = OrderedDict()
        self._pending: dict[_Key, asyncio.Future[MemberInfo | None]] = {}

    async def lookup(
        self, community_id: CommunityId, member_id: MemberId, fresh: bool = False
    ) -> MemberInfo | None:
        """The user, or None when Slack knows no such (active) user. `fresh` skips the cache:
        admin rights are checked against Slack when an admin command runs."""
        key = (team_of(community_id), member_id)
        if not fresh:
            cached = self._cache.get(key)
            if cached is not None and cached[0] > time.monotonic():
                self._cache.move_to_end(key)
                return cached[1]
        pending = self._pending.get(key)
        if pending is not None:  # the same user asked for twice at once: one users.info call
            return await asyncio.shield(pending)
        future: asyncio.Future[MemberInfo | None] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            info = await self._fetch(*key)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters (if any) get it; nobody else must
            raise
        else:
            future.set_result(info)
            self._remember(key, info)
            return info
        finally:
            del self._pending[key]

    async def _fetch(self, team_id: str, user_id: str) -> MemberInfo | None:
        client = await self._clients.for_team(team_id)
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as exc:
            if exc.response.get("error") in _NOT_A_MEMBER:
                return None
            raise
        return member_info(response["user"])

    def _remember(self, key: _Key, info: MemberInfo | None) -> None:
        ttl = KNOWN_TTL_SECONDS if info is not None else UNKNOWN_TTL_SECONDS
        self._cache[key] = (time.monotonic() + ttl, info)
        self._cache.move_to_end(key)
        while len(self._cache) > MAX_ENTRIES:
            self._cache.popitem(last=False)
