"""The one place that wires everything: settings -> store -> core -> adapters.

This is the composition root, the only module of `bot` that imports `storage` and `adapters`
(lazily, so that nothing is built at import time and unused platforms cost nothing).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.clock import SystemClock
from bot.handlers.context import Ports
from bot.ports import MemberDirectory, Notifier, UnitOfWorkFactory
from bot.service import ConnectionsService
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Migration chatter on every start helps nobody; real problems still show as warnings.
    logging.getLogger("alembic").setLevel(logging.WARNING)


@dataclass
class Store:
    engine: AsyncEngine
    uow: UnitOfWorkFactory


@asynccontextmanager
async def open_store(settings: Settings, migrate: bool = True) -> AsyncIterator[Store]:
    from storage.engine import create_engine
    from storage.migrate import upgrade
    from storage.unit_of_work import SqlUnitOfWorkFactory

    engine = create_engine(settings.database_url)
    try:
        if migrate:
            await upgrade(engine)
        yield Store(engine=engine, uow=SqlUnitOfWorkFactory(engine))
    finally:
        await engine.dispose()


def build_service(
    store: Store, directory: MemberDirectory, notifier: Notifier
) -> ConnectionsService:
    return ConnectionsService(
        Ports(uow=store.uow, directory=directory, notifier=notifier, clock=SystemClock())
    )


async def run_console(
    settings: Settings,
    name: str,
    admin: bool,
    lines: AsyncIterator[str] | None = None,
    write: Callable[[str], None] | None = None,
) -> None:
    from adapters.console.directory import ConsoleDirectory
    from adapters.console.notifier import ConsoleNotifier
    from adapters.console.session import ConsoleSession, stdin_lines

    out = write or (lambda text: print(text, flush=True))
    async with open_store(settings) as store:
        service = build_service(store, ConsoleDirectory(), ConsoleNotifier(out))
        session = ConsoleSession(service, out, name=name, admin=admin)
        interactive = lines is None and sys.stdin.isatty()
        if interactive:
            out(session.welcome())
        await session.run(lines if lines is not None else stdin_lines())


async def db_upgrade(settings: Settings) -> str | None:
    from storage.migrate import current_revision

    async with open_store(settings, migrate=True) as store:
        return await current_revision(store.engine)


async def db_current(settings: Settings) -> tuple[str | None, str | None]:
    from storage.migrate import current_revision, head_revision

    async with open_store(settings, migrate=False) as store:
        return await current_revision(store.engine), head_revision()


async def run(settings: Settings, console_name: str = "you") -> None:
    """`smart-connections run`: the platforms whose tokens are set, else the console."""
    if settings.slack_bot_token is None and settings.discord_token is None:
        log.info("no Slack or Discord token set: starting the console adapter")
        await run_console(settings, name=console_name, admin=True)
        return
    raise SystemExit("Slack and Discord adapters are not wired yet")
