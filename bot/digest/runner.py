"""One scheduler tick: claim every due digest this process can post, post them, retry failed
ones. Any number of processes may run it at once: each digest is posted once.

Per community and due time, exactly one claim row (community, week start) is inserted; the
community's next due time moves on in the same transaction. A digest found more than the
grace after its due time (the bot was down) is recorded as skipped instead of posted, and so
is one whose days the last posted digest already covered (see bot/digest/publisher.py). Posts
run concurrently with a timeout each, so one slow or failing platform call never holds up
other communities; failures are retried with backoff from the digests table.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.digest.model import DigestRecord
from bot.digest.publisher import DigestPublisher
from bot.digest.timing import due_of_period, following_due, latest_due, week_start_of
from bot.domain import Community
from bot.ports import Clock, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# What to post: the community, its claim, and the due time when it is known (a fresh claim).
Work = list[tuple[Community, DigestRecord, datetime | None]]


@dataclass
class RunReport:
    posted: int = 0
    failed: int = 0
    released: int = 0
    missed: int = 0  # due longer ago than the grace: skipped, the next one scheduled
    given_up: int = 0  # failed for longer than the grace: no more retries
    skipped: int = 0  # less than a day left after the last posted digest: nothing to post
    deferred: int = 0  # too little lease left when a posting slot came: taken over later

    def add(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)


class DigestRunner:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publisher: DigestPublisher,
        clock: Clock,
        platforms: Callable[[], Sequence[str]],
        batch: int = 50,
        concurrency: int = 16,
    ) -> None:
        self._uow = uow
        self._publisher = publisher
        self._clock = clock
        self._platforms = platforms
        self._batch = batch
        self._slots = asyncio.Semaphore(concurrency)

    async def run_once(self) -> RunReport:
        report = RunReport()
        await self._claim_and_deliver(self._claim_due, report)
        await self._claim_and_deliver(self._take_over_retries, report)
        return report

    async def _claim_and_deliver(
        self, claim: Callable[[RunReport], Awaitable[tuple[Work, int]]], report: RunReport
    ) -> None:
        """Claim a batch and post it, claiming the next batch while those posts run, so that
        a post waiting out a 429 holds back no other community; no more than a batch waits
        for a posting slot at once (other processes keep their share of the claims)."""
        posting: set[asyncio.Task[str]] = set()
        try:
            while True:
                while len(posting) > self._batch:
                    done, posting = await asyncio.wait(posting, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        report.add(task.result())
                work, seen = await claim(report)
                posting |= {asyncio.ensure_future(self._deliver(*item)) for item in work}
                if seen < self._batch:
                    break
            for status in await asyncio.gather(*posting):
                report.add(status)
        except BaseException:
            for task in posting:
                task.cancel()
            await asyncio.gather(*posting, return_exceptions=True)
            raise

    async def _claim_due(self, report: RunReport) -> tuple[Work, int]:
        now = self._clock.now()
        work: Work = []
        async with self._uow() as uow:
            due = await uow.digests.lock_due(now, self._platforms(), self._batch)
            for community in due:
                try:
                    claimed = await self._claim(uow, community, now, report)
                except ValueError:  # a stored schedule that no longer parses
                    log.error("community %s has an invalid digest schedule", community.id)
                    await uow.communities.save(replace(community, next_digest_due_at=None))
                    continue
                if claimed is not None:
                    work.append((community, *claimed))
            await uow.commit()
        return work, len(due)

    async def _claim(
        self, uow: UnitOfWork, community: Community, now: datetime, report: RunReport
    ) -> tuple[DigestRecord, datetime] | None:
        stored = community.next_digest_due_at
        assert stored is not None  # lock_due only returns communities with a due time
        due = latest_due(community, stored, now)
        await uow.communities.save(
            replace(community, next_digest_due_at=following_due(community, due))
        )
        period_start = week_start_of(due, community)
        worker = self._publisher.worker_id
        if not await uow.digests.claim(community.id, period_start, worker, now):
            return None  # already posted, e.g. by `digest now`
        record = DigestRecord(community.id, period_start, "claimed", worker, now)
        policy = self._publisher.policy
        if now - due > policy.grace:
            log.info("digest for %s due %s missed by more than the grace", community.id, due)
            report.missed += 1
            late_hours = (now - due).total_seconds() / 3600
            reason = f"missed: found {late_hours:.1f} h after its due time, past the grace"
            await uow.digests.save(record.with_(status="skipped", last_error=reason))
            return None
        record = record.with_(next_attempt_at=now + policy.lease)
        await uow.digests.save(record)
        return record, due

    async def _take_over_retries(self, report: RunReport) -> tuple[Work, int]:
        now = self._clock.now()
        policy = self._publisher.policy
        work: Work = []
        async with self._uow() as uow:
            records = await uow.digests.retryable(now, self._platforms(), self._batch)
            for record in records:
                community = await uow.communities.get(record.community_id)
                if community is None or community.paused:
                    await uow.digests.save(
                        record.with_(status="skipped", next_attempt_at=None, last_error="paused")
                    )
                    continue
                due = due_of_period(community, record.period_start)
                if now > policy.deadline(due, record.claimed_at):
                    report.given_up += 1
                    await uow.digests.save(record.with_(status="failed", next_attempt_at=None))
                    continue
                taken = record.with_(
                    status="claimed",
                    claimed_by=self._publisher.worker_id,
                    next_attempt_at=now + policy.lease,
                )
                await uow.digests.save(taken)
                work.append((community, taken, None))
            await uow.commit()
        return work, len(records)

    async def _deliver(
        self, community: Community, record: DigestRecord, due: datetime | None
    ) -> str:
        async with self._slots:
            try:
                return (await self._publisher.deliver(community, record, due)).status
            except Exception:  # never let one community's surprise stop the others
                log.exception("digest for %s could not be delivered", community.id)
                return "failed"
