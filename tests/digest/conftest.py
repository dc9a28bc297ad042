from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.bootstrap import Store, open_store
from bot.settings import Settings


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """The real store, migrated: a SQLite file, then a fresh PostgreSQL database."""
    async with open_store(Settings(database_url=database_url)) as opened:
        yield opened
