"""Work that runs after the ack (posts, DMs, uploads), tracked so that shutdown can finish
it and tests can wait for it; a failure is logged, never lost silently."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()

    def spawn(self, work: Awaitable[Any], what: str) -> None:
        self.track(asyncio.ensure_future(self._logged(work, what)))

    def track(self, task: asyncio.Future[T]) -> asyncio.Future[T]:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @staticmethod
    async def _logged(work: Awaitable[Any], what: str) -> None:
        try:
            await work
        except Exception:
            log.exception("%s failed", what)

    async def idle(self) -> None:
        """Wait until nothing is running (including work started by running work)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self, grace_seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace_seconds):
                await self.idle()
        pending = list(self._tasks)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
