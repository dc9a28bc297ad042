"""Repetition damping: the same giver thanking the same person again within a day counts
once in the digest, so that a burst of thank-yous to a friend does not inflate the week.

A thank-you counts for a (giver, receiver) pair when the pair's last *counted* thank-you
is a day or more older; the repeats in between are dropped from that kudos' receivers,
and a kudos left with none is dropped from the digest altogether (its giver and reason
still belong to the people involved: summaries and exports are not damped).

`damp_repeats` states the rule over whole kudos. The digest applies it inline, in the one
pass of `bot.digest.content.summarize_week` over a big community's rows; the storage tests
check that pass against this function.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain import FORGOTTEN_MEMBER, Kudos, MemberId

REPEAT_WINDOW = timedelta(days=1)


def damp_repeats(kudos: Iterable[Kudos], window: timedelta = REPEAT_WINDOW) -> list[Kudos]:
    """`kudos` (any order) oldest first, repeats within `window` taken out (see above).
    Pass the days before the period too, so that a repeat across its start is seen."""
    last_counted: dict[tuple[MemberId, MemberId], datetime] = {}
    damped: list[Kudos] = []
    for k in sorted(kudos, key=lambda k: (k.created_at, k.id or 0)):
        if k.giver_id == FORGOTTEN_MEMBER:  # nothing ties an erased giver's thanks together
            damped.append(k)
            continue
        counted: list[MemberId] = []
        for receiver in k.recipient_ids:
            pair = (k.giver_id, receiver)
            previous = last_counted.get(pair)
            erased = receiver == FORGOTTEN_MEMBER  # one tombstone stands for many people
            if erased or previous is None or k.created_at - previous >= window:
                last_counted[pair] = k.created_at
                counted.append(receiver)
        if len(counted) == len(k.recipient_ids):
            damped.append(k)
        elif counted:
            damped.append(replace(k, recipient_ids=tuple(counted)))
    return damped
