from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from adapters.console.directory import ConsoleDirectory
from bot.bootstrap import Store, open_store
from bot.domain import Actor
from bot.handlers.context import Ports
from bot.service import ConnectionsService
from bot.settings import Settings


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


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    async with open_store(Settings(database_url=database_url)) as opened:
        yield opened


@pytest.fixture
def harness(store: Store) -> Harness:
    clock = SettableClock(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    ports = Ports(uow=store.uow, directory=ConsoleDirectory(), notifier=NullNotifier(), clock=clock)
    return Harness(store=store, service=ConnectionsService(ports), clock=clock)
