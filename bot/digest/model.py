"""The digest as data; each adapter renders it (console text, Block Kit, embeds)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime


@dataclass(frozen=True)
class Story:
    """One act of help given without being asked."""

    giver_name: str
    receiver_names: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class GiverLine:
    name: str
    people_thanked: int
    first_time: bool


@dataclass(frozen=True)
class OfferLine:
    offer_id: int
    owner_name: str
    text: str


@dataclass(frozen=True)
class Digest:
    community_id: str
    period_start: datetime
    period_end: datetime
    kudos_count: int
    givers_count: int
    receivers_count: int
    unprompted_count: int
    new_offers_count: int
    one_way_share: float | None
    stories: tuple[Story, ...]
    givers: tuple[GiverLine, ...]
    offers: tuple[OfferLine, ...]
    prompt: str
    how_to_take_part: str = (
        "Thank someone with /kudos @name for ... (add #unprompted when they helped "
        "without being asked), or offer your help to anyone with /offer."
    )
    # The community's IANA time zone, to show the week's dates as its members live them.
    timezone: str = "UTC"

    @property
    def quiet(self) -> bool:
        return self.kudos_count == 0


@dataclass(frozen=True)
class DigestRecord:
    """The claim and outcome of one community's digest for one period (its unique key)."""

    community_id: str
    period_start: datetime
    status: str  # "claimed" | "posted" | "failed" | "skipped" | "released"
    claimed_by: str
    claimed_at: datetime
    attempts: int = 0
    posted_at: datetime | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    # The end of the period a posted digest covered (its due time, or when it was sent early):
    # the next digest starts there. None until posted, and for digests posted before it was
    # stored (see bot/digest/timing.py `covered_until`).
    period_end: datetime | None = None

    def with_(self, **changes: object) -> DigestRecord:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def post_key(self) -> PostKey:
        return PostKey(self.community_id, self.period_start, self.claimed_at)


@dataclass(frozen=True)
class PostKey:
    """Names the post of one claim, so that a post cut short (the process killed, the call
    timed out after the platform took it) can be looked for before posting again."""

    community_id: str
    period_start: datetime
    claimed_at: datetime  # no post of this claim is older: where a look-up starts

    @property
    def tag(self) -> str:
        """The same text for every attempt at this claim, e.g. `slack:T1/2026-11-16T00:00Z`."""
        return f"{self.community_id}/{self.period_start.astimezone(UTC):%Y-%m-%dT%H:%MZ}"
