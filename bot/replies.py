"""What the core answers: platform-neutral replies that each adapter renders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.digest.model import Digest


@dataclass(frozen=True)
class KudosAnnouncement:
    """A public thank-you for the channel. Adapters mention the recipients (and only them)."""

    giver_id: str
    giver_name: str
    recipient_ids: tuple[str, ...]
    recipient_names: tuple[str, ...]
    reason: str
    tags: tuple[str, ...]
    unprompted: bool


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/json"


@dataclass(frozen=True)
class Reply:
    """`text` is plain text (no markup, no mentions); adapters escape it for their platform."""

    text: str
    ok: bool = True
    announcement: KudosAnnouncement | None = None
    attachment: Attachment | None = None
    digest: Digest | None = None


def refuse(text: str) -> Reply:
    return Reply(text=text, ok=False)
