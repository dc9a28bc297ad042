"""Slack's text markup, both ways: reading what Slack sends, and writing what never pings.

Slack sends user text with its own escapes: `<@U123|name>` for a person, `<#C123|general>`
for a channel, `<!here>` and friends for broadcasts, `<https://…|label>` for links, and
`&amp; &lt; &gt;` for the three characters it reserves. We keep user text as plain text
(`to_plain`), and escape it again on the way out (`escape`), so no user text can ever form
a mention or a broadcast.
"""

from __future__ import annotations

import re

from bot.parsing import Syntax

SLACK_SYNTAX = Syntax(
    user_mention=re.compile(r"<@(?P<id>[UW][A-Z0-9]{1,30})(?:\|[^<>]*)?>"),
    channel_ref=re.compile(r"<#(?P<id>[CGD][A-Z0-9]{1,30})(?:\|[^<>]*)?>"),
)
_USER_ID = re.compile(r"^[UW][A-Z0-9]{1,30}$")

_ESCAPE = re.compile(r"<([^<>]*)>")
_BROADCASTS = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}
# "@channel", "@here", a group's "@devs" or a person's "@bob" would ping if Slack ever parsed
# names in our text (link_names). A zero-width space after the @ keeps them readable and inert;
# e-mail addresses (a letter before the @) are left alone.
_HANDLE = re.compile(r"(?<![\w.])@(?=\w)")
_ZERO_WIDTH_SPACE = "\u200b"


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _plain_escape(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (label.lstrip("@") or target[1:])
    if target.startswith("#"):
        return "#" + (label or "channel")
    if target.startswith("!"):
        keyword = target[1:].split("^", 1)[0]
        if keyword in _BROADCASTS:
            return _BROADCASTS[keyword]
        if keyword == "subteam":
            return "@" + (label.lstrip("@") or "group")
        return label or keyword  # e.g. <!date^…|Feb 18> shows its fallback text
    url = target.removeprefix("mailto:")
    if label and label != url and label != target:
        return f"{label} ({url})"
    return url


def to_plain(text: str) -> str:
    """Slack's escaped text as the person saw it: mentions become @name, links their text."""
    return _unescape(_ESCAPE.sub(_plain_escape, text))


def escape(text: str) -> str:
    """Plain text made safe for Slack: nothing in it can mention, broadcast or link."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _HANDLE.sub("@" + _ZERO_WIDTH_SPACE, text)


def mention(user_id: str, fallback_name: str) -> str:
    """A live mention of a user we have checked; anything else is written as a name."""
    return f"<@{user_id}>" if _USER_ID.match(user_id) else escape(fallback_name)


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, without cutting an escape such as `&amp;` in half."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + "…"
