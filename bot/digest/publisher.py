"""Posting one claimed digest and recording what happened (posted, failed with a retry
time, released, or skipped when earlier digests already covered its days), shared by the
scheduler and the `digest now` command."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.digest.builder import BuiltDigest, build_digest
from bot.digest.errors import DigestNotDeliverable
from bot.digest.model import Digest, DigestRecord
from bot.digest.prompts import mark_prompt_used
from bot.digest.routing import RoutingPoster
from bot.digest.timing import (
    MIN_GAP,
    content_start,
    content_window,
    covered_until,
    due_of_period,
)
from bot.domain import Community
from bot.errors import StoreUnavailableError
from bot.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.schedule import load_zone
from bot.telemetry import Metrics, NullMetrics

log = logging.getLogger(__name__)

_RECORD_TRIES = 3
# Posted this long after its due time, a digest counts as late (a few ticks are normal).
LATE_AFTER = timedelta(
    minutes=10
)  # a posted digest left "claimed" would be posted again after its lease


def new_worker_id() -> str:
    """Who holds a claim: host, process and a random tag (pids repeat across containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class DeliveryPolicy:
    grace: timedelta = timedelta(hours=24)  # how late a digest may still be posted
    # A claim's holder has this long to post and record it; then anyone may take it over.
    # It must outlast a whole batch of posts (see DigestRunner), timeouts included.
    lease: timedelta = timedelta(minutes=15)
    post_timeout: float = 60.0  # seconds one post may take before it counts as failed
    first_retry: timedelta = timedelta(minutes=1)
    max_retry: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.lease <= timedelta(seconds=2 * self.post_timeout):
            raise ValueError("a claim's lease must outlast a look-up and a post")

    def time_to_post(self, may_have_landed: bool) -> timedelta:
        """How much of its lease a claim needs left to start: a post (after a look-up, when an
        earlier attempt may have landed) must be over before anyone else may take it over."""
        return timedelta(seconds=self.post_timeout * (2 if may_have_landed else 1))

    @classmethod
    def from_hours(cls, grace_hours: float) -> DeliveryPolicy:
        return cls(grace=timedelta(hours=max(0.0, grace_hours)))

    def backoff(self, attempts: int) -> timedelta:
        """Wait before attempt `attempts + 1`: 1, 2, 4 ... minutes, at most an hour."""
        wait: timedelta = self.first_retry * (2 ** min(20, max(0, attempts - 1)))
        return min(wait, self.max_retry)

    def deadline(self, due: datetime, claimed_at: datetime) -> datetime:
        """The last moment worth posting: the grace after the due time, or after the claim
        of a digest sent early (`digest now`)."""
        return min(due, claimed_at) + self.grace


@dataclass(frozen=True)
class DigestDelivery:
    """What every digest post in this process shares."""

    poster: RoutingPoster = field(default_factory=RoutingPoster)
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    worker_id: str = field(default_factory=new_worker_id)
    metrics: Metrics = field(default_factory=NullMetrics)


@dataclass(frozen=True)
class Period:
    """What a digest has left to tell: [start, end), after the days earlier digests covered."""

    start: datetime
    end: datetime
    # Set when less than a day is left: the posted digest that already told the rest.
    covered_by: DigestRecord | None = None


async def uncovered_period(
    uow: UnitOfWork, community: Community, start: datetime, end: datetime
) -> Period:
    """The part of [start, end) no posted digest of the community has covered yet."""
    last = await uow.digests.last_posted(community.id, end)
    if last is None:
        return Period(start, end)
    start = content_start(start, covered_until(last, community))
    return Period(start, end, last if end - start < MIN_GAP else None)


def covered_reason(community: Community, last: DigestRecord) -> str:
    """Why a digest was skipped, for its record and the admin, e.g. `covered by the digest
    posted at Mon 09 Mar 09:00 UTC`."""
    at = last.posted_at or covered_until(last, community)
    zone = load_zone(community.timezone) or UTC
    return f"covered by the digest posted at {at.astimezone(zone):%a %d %b %H:%M %Z}"


class _Covered(Exception):
    def __init__(self, last: DigestRecord) -> None:
        self.last = last


@dataclass(frozen=True)
class Outcome:
    status: str  # "posted" | "failed" | "released" | "skipped" | "deferred" (left unposted)
    record: DigestRecord
    digest: Digest | None = None
    error: str | None = None


def describe_error(exc: BaseException) -> str:
    """A short reason to record and show an admin (exception text, never a traceback)."""
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 300 else text[:299] + "…"


class DigestPublisher:
    def __init__(self, uow: UnitOfWorkFactory, delivery: DigestDelivery, clock: Clock) -> None:
        self._uow = uow
        self._delivery = delivery
        self._clock = clock

    @property
    def policy(self) -> DeliveryPolicy:
        return self._delivery.policy

    @property
    def worker_id(self) -> str:
        return self._delivery.worker_id

    async def build(self, community: Community, start: datetime, end: datetime) -> BuiltDigest:
        """The digest of [start, end), less the days posted digests covered (read-only:
        nothing is marked used)."""
        async with self._uow() as uow:
            period = await uncovered_period(uow, community, start, end)
            return await build_digest(uow, community, period.start, period.end)

    async def deliver(
        self, community: Community, record: DigestRecord, due: datetime | None = None
    ) -> Outcome:
        """Build, post and record the digest of a claim this process holds. A digest covers
        its week (up to its due time), or the 7 days before now when sent early, less what
        earlier posted digests covered; when less than a day is left it is skipped, and when
        too little of the claim's lease is left it is deferred to a take-over. Never raises
        for a failed post: the outcome says what happened and the record when to retry."""
        now = self._clock.now()
        # A retry, or a claim taken over from a holder that stopped (killed, say): an earlier
        # attempt may have reached the platform after all, so look for it before posting.
        may_have_landed = due is None or record.attempts > 0
        lease_end = record.next_attempt_at
        if lease_end is not None and lease_end - now < self.policy.time_to_post(may_have_landed):
            # It waited for a posting slot too long: its post might still be under way when
            # the lease ends and another process takes the claim over and posts it too. Left
            # to that take-over (this process's own, at the latest), which looks first.
            log.info("digest for %s deferred: too little of its lease is left", community.id)
            return Outcome("deferred", record)
        if due is None:  # a retry: the due time follows from the week's start
            due = due_of_period(community, record.period_start)
        built: BuiltDigest | None = None
        attempts = record.attempts + 1
        found = False
        try:
            start, end = content_window(community, record.period_start, due, now)
            async with self._uow() as uow:
                period = await uncovered_period(uow, community, start, end)
                if period.covered_by is not None:
                    raise _Covered(period.covered_by)
                built = await build_digest(uow, community, period.start, period.end)
            poster, key = self._delivery.poster, record.post_key
            if may_have_landed:
                found = await asyncio.wait_for(
                    poster.find_digest(community, key), timeout=self.policy.post_timeout
                )
            if not found:
                await asyncio.wait_for(
                    poster.post_digest(community, built.digest, key),
                    timeout=self.policy.post_timeout,
                )
        except _Covered as covered:
            # Nothing new to tell (the schedule moved just after a digest went out, say): not
            # posted, and not retried. The next digest starts where the last one ended.
            reason = covered_reason(community, covered.last)
            log.info("digest for %s skipped: %s", community.id, reason)
            updated = record.with_(status="skipped", last_error=reason, next_attempt_at=None)
            await self._record(community, updated, None)
            self._delivery.metrics.digest_finished("skipped", late=False)
            return Outcome("skipped", updated, None, reason)
        except DigestNotDeliverable as exc:
            # Trying again cannot help; give the week back so a later `digest now` (after the
            # admin fixes the channel, say) can claim it.
            log.warning("digest for %s not deliverable: %s", community.id, exc)
            updated = record.with_(
                status="released",
                attempts=attempts,
                last_error=describe_error(exc),
                next_attempt_at=None,
            )
            digest = built.digest if built else None
            outcome = Outcome("released", updated, digest, describe_error(exc))
        except Exception as exc:
            error = (
                f"the post took longer than {self.policy.post_timeout:g} s"
                if isinstance(exc, TimeoutError)
                else describe_error(exc)
            )
            retry_at: datetime | None = now + self.policy.backoff(attempts)
            if retry_at is not None and retry_at > self.policy.deadline(due, record.claimed_at):
                retry_at = None  # too late to be worth posting: give up
            log.warning(
                "digest for %s failed (attempt %d, %s): %s",
                community.id,
                attempts,
                f"retry at {retry_at:%Y-%m-%d %H:%M:%S}" if retry_at else "giving up",
                error,
                exc_info=not isinstance(exc, (TimeoutError, StoreUnavailableError)),
            )
            updated = record.with_(
                status="failed", attempts=attempts, last_error=error, next_attempt_at=retry_at
            )
            outcome = Outcome("failed", updated, built.digest if built else None, error)
        else:
            updated = record.with_(
                status="posted",
                attempts=attempts,
                posted_at=self._clock.now(),
                last_error=None,
                next_attempt_at=None,
                period_end=built.digest.period_end,
            )
            outcome = Outcome("posted", updated, built.digest)
            log.info(
                "digest for %s %s (week from %s)",
                community.id,
                "found posted by an earlier attempt" if found else "posted",
                record.period_start,
            )
        await self._record(community, updated, built if outcome.status == "posted" else None)
        self._delivery.metrics.digest_finished(outcome.status, late=now - due > LATE_AFTER)
        return outcome

    async def _record(
        self, community: Community, record: DigestRecord, posted: BuiltDigest | None
    ) -> None:
        for attempt in range(1, _RECORD_TRIES + 1):
            try:
                async with self._uow() as uow:
                    await uow.digests.save(record)
                    if posted is not None:
                        await mark_prompt_used(
                            uow, community.id, posted.prompt, record.posted_at or self._clock.now()
                        )
                    await uow.commit()
                return
            except StoreUnavailableError:
                if attempt == _RECORD_TRIES:
                    log.error(
                        "could not record the %s digest of %s; its claim will be retried "
                        "after the lease",
                        record.status,
                        community.id,
                    )
                    return
                await asyncio.sleep(attempt)
