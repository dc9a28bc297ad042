"""Errors a Poster raises to tell the scheduler how a failed post should be handled."""

from __future__ import annotations


class DigestNotDeliverable(Exception):
    """Posting cannot succeed by trying again (no channel set, channel gone, bot removed, no
    running adapter for the platform). The digest is not retried; the message says why."""
