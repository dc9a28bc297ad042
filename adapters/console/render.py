"""Console rendering: replies, public thank-yous and digests as plain text."""

from __future__ import annotations

from bot.replies import KudosAnnouncement, Reply


def render_announcement(a: KudosAnnouncement) -> str:
    names = ", ".join(f"@{n}" for n in a.recipient_names)
    tags = " ".join(f"#{t}" for t in a.tags)
    flag = " (helped without being asked)" if a.unprompted else ""
    line = f"[channel] {a.giver_name} thanked {names}{flag}: {a.reason}"
    return f"{line} {tags}".rstrip()


def render_reply(reply: Reply) -> str:
    parts = [reply.text if reply.ok else f"Sorry: {reply.text}"]
    if reply.announcement is not None:
        parts.append(render_announcement(reply.announcement))
    if reply.attachment is not None:
        parts.append(f"--- {reply.attachment.filename} ---")
        parts.append(reply.attachment.content.decode())
    return "\n".join(parts)
