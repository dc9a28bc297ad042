"""Sample digests the rendering tests of every adapter share."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.digest.model import Digest


def quiet_digest(community_id: str, start: datetime, prompt: str, timezone: str = "UTC") -> Digest:
    """A week in which nobody was thanked and nothing was offered: only the prompt to tell."""
    return Digest(
        community_id=community_id,
        period_start=start,
        period_end=start + timedelta(days=7),
        kudos_count=0,
        givers_count=0,
        receivers_count=0,
        unprompted_count=0,
        new_offers_count=0,
        one_way_share=None,
        stories=(),
        givers=(),
        offers=(),
        prompt=prompt,
        timezone=timezone,
    )
