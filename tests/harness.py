"""A service over the real store, for tests that go through the core into SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.bootstrap import Store
from bot.domain import Actor
from bot.service import ConnectionsService


class SettableClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


class NullNotifier:
    async def kudos_received(self, kudos: object, giver_name: str) -> None:
        return None


@dataclass
class Harness:
    store: Store
    service: ConnectionsService
    clock: SettableClock

    def actor(self, name: str, community: str = "console:local", admin: bool = False) -> Actor:
        return Actor(
            community_id=community, member_id=name, display_name=name, is_platform_admin=admin
        )
