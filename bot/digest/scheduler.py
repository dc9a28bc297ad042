"""The in-process ticker: an APScheduler AsyncIOScheduler running DigestRunner.run_once.

The due times live in the database, so the ticker keeps no schedule of its own: it wakes
every `tick_seconds` (and once at start, to catch up on digests missed while down) and
asks the runner to post whatever is due. Stopping waits for a running tick to finish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.digest.runner import DigestRunner
from bot.errors import StoreUnavailableError

log = logging.getLogger(__name__)

JOB_ID = "digest-tick"


class DigestScheduler:
    def __init__(self, runner: DigestRunner, tick_seconds: float = 60.0) -> None:
        if tick_seconds <= 0:
            raise ValueError("tick_seconds must be positive")
        self._runner = runner
        self._tick_seconds = tick_seconds
        self._scheduler: AsyncIOScheduler | None = None
        self._ticking: asyncio.Task[None] | None = None
        self.ticks = 0

    def start(self) -> None:
        """Start ticking; call inside the running event loop."""
        if self._scheduler is not None:
            return
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self._tick,
            IntervalTrigger(seconds=self._tick_seconds, timezone=UTC),
            id=JOB_ID,
            next_run_time=datetime.now(UTC),
            max_instances=1,  # a long tick is never overlapped by the next one...
            coalesce=True,  # ...and ticks missed meanwhile (or asleep) run once, late
            misfire_grace_time=None,
        )
        scheduler.start()
        self._scheduler = scheduler

    async def _tick(self) -> None:
        # Shielded: stopping the scheduler cancels its jobs, but a tick half-way through
        # posting should finish recording what it posted (stop() waits for it).
        self._ticking = asyncio.ensure_future(self._run())
        await asyncio.shield(self._ticking)

    async def _run(self) -> None:
        try:
            report = await self._runner.run_once()
        except StoreUnavailableError as exc:
            log.warning("digest tick: the store is unavailable (%s); trying next tick", exc)
            return
        except Exception:
            log.exception("digest tick failed; trying next tick")
            return
        finally:
            self.ticks += 1  # ticks completed, whatever their outcome
        if report.posted or report.failed or report.missed or report.released:
            log.info("digest tick: %s", report)

    async def stop(self, drain_seconds: float = 10.0) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is None:
            return
        scheduler.pause()
        ticking = self._ticking
        if ticking is not None and not ticking.done():
            try:
                await asyncio.wait_for(asyncio.shield(ticking), drain_seconds)
            except TimeoutError:
                log.warning("digest tick still running after %.0f s; stopping it", drain_seconds)
                ticking.cancel()
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn


@asynccontextmanager
async def ticking(scheduler: DigestScheduler) -> AsyncIterator[DigestScheduler]:
    scheduler.start()
    try:
        yield scheduler
    finally:
        await scheduler.stop()
