"""Console rendering: replies, public thank-yous and digests as plain text."""

from __future__ import annotations

from bot.digest.model import Digest
from bot.digest.text import digest_text
from bot.replies import KudosAnnouncement, Reply

PREVIEW_HEADER = "Preview of this week's digest (only you can see this):"


def render_announcement(a: KudosAnnouncement) -> str:
    names = ", ".join(f"@{n}" for n in a.recipient_names)
    tags = " ".join(f"#{t}" for t in a.tags)
    flag = " (helped without being asked)" if a.unprompted else ""
    line = f"[channel] {a.giver_name} thanked {names}{flag}: {a.reason}"
    return f"{line} {tags}".rstrip()


def render_digest(digest: Digest, channel: str | None = None) -> str:
    """The digest as posted to the channel: a header line, then the text, indented."""
    where = f"[channel #{channel.lstrip('#')}]" if channel else "[channel]"
    body = digest_text(digest).splitlines()
    return "\n".join([f"{where} {body[0]}", *(f"  {line}" if line else "" for line in body[1:])])


def render_reply(reply: Reply) -> str:
    if reply.digest is not None:  # a preview: shown here, to the admin only
        body = digest_text(reply.digest).splitlines()
        return "\n".join([PREVIEW_HEADER, *(f"  {line}" if line else "" for line in body)])
    parts = [reply.text if reply.ok else f"Sorry: {reply.text}"]
    if reply.announcement is not None:
        parts.append(render_announcement(reply.announcement))
    if reply.attachment is not None:
        parts.append(f"--- {reply.attachment.filename} ---")
        parts.append(reply.attachment.content.decode())
    return "\n".join(parts)
