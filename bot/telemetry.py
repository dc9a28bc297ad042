"""What the bot counts for operators (the /metrics endpoint renders it), as a port."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any, Protocol, Self

from bot.ports import UnitOfWork, UnitOfWorkFactory


class Metrics(Protocol):
    def command_handled(self, command: str, outcome: str) -> None:
        """outcome: "ok" | "refused" | "unavailable" | "error"."""
        ...

    def kudos_recorded(self, count: int = 1) -> None: ...

    def digest_finished(self, status: str, late: bool) -> None:
        """status: "posted" | "failed" | "released" | "skipped" (earlier digests
        covered its days); late: posted after its due minute."""
        ...

    def platform_call(self, platform: str, outcome: str) -> None:
        """outcome: "error" (a failed API call) or "retry" (a 429/5xx answered by retrying)."""
        ...

    def database_seconds(self, seconds: float) -> None:
        """How long one unit of work held its connection."""
        ...


class NullMetrics:
    """Counts nothing: tests and the console need no metrics."""

    def command_handled(self, command: str, outcome: str) -> None:
        return None

    def kudos_recorded(self, count: int = 1) -> None:
        return None

    def digest_finished(self, status: str, late: bool) -> None:
        return None

    def platform_call(self, platform: str, outcome: str) -> None:
        return None

    def database_seconds(self, seconds: float) -> None:
        return None


class _TimedUnitOfWork:
    """Delegates to a unit of work and reports how long it was open."""

    def __init__(self, inner: UnitOfWork, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics
        self._started = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def __aenter__(self) -> Self:
        self._started = time.perf_counter()
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._inner.__aexit__(exc_type, exc, tb)
        finally:
            self._metrics.database_seconds(time.perf_counter() - self._started)

    async def commit(self) -> None:
        await self._inner.commit()


def timed(factory: UnitOfWorkFactory, metrics: Metrics) -> UnitOfWorkFactory:
    """A unit-of-work factory whose transactions report their duration."""

    def make() -> UnitOfWork:
        return _TimedUnitOfWork(factory(), metrics)

    return make
