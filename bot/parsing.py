"""The text grammar shared by Slack slash commands and the console (see DESIGN.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot import commands as c
from bot.schedule import parse_weekday
from bot.text import clean, shorten

MAX_ID = 2**31 - 1  # ids beyond a 32-bit integer cannot exist; don't send them to the database
_TAG = re.compile(r"(?:(?<=\s)|^)#([^\s#<>]+)")
_AFTER_TAG = ".,;:!?"  # punctuation ending a sentence is not part of a #value
_PAGE = re.compile(r"(?:^|\s)page\s+(\d{1,4})$", re.IGNORECASE)  # search: linear time


@dataclass(frozen=True)
class Syntax:
    """How a platform writes a user mention and a channel reference in text."""

    user_mention: re.Pattern[str]  # group "id"
    channel_ref: re.Pattern[str]  # group "id"


CONSOLE_SYNTAX = Syntax(
    user_mention=re.compile(r"(?:(?<=\s)|^)@(?P<id>[\w.\-]{0,39}\w)"),  # "@bob." is bob
    channel_ref=re.compile(r"^#?(?P<id>[\w\-]{1,80})$"),
)

KUDOS_USAGE = "Try: /kudos @alice for untangling the release script #teamwork"
OFFER_USAGE = "Try: /offer I can pair on SQL query tuning, /offer list sql, /offer close 12"


def _collapse(text: str) -> str:
    return " ".join(text.split())


def parse_kudos(text: str, syntax: Syntax, delivery_id: str | None = None) -> c.Command:
    """Everyone mentioned is thanked; the rest, less #values, is the reason."""
    recipients = [m.group("id") for m in syntax.user_mention.finditer(text)]
    rest = syntax.user_mention.sub(" ", text)
    tags = tuple(m.group(1).rstrip(_AFTER_TAG) or m.group(1) for m in _TAG.finditer(rest))
    reason = _collapse(_TAG.sub(" ", rest))
    return c.GiveKudos(
        recipient_ids=tuple(recipients), reason=reason, tags=tags, delivery_id=delivery_id
    )


def parse_id(token: str) -> int | None:
    token = token.strip().lstrip("#")
    # isdecimal, not isdigit: int() refuses digits such as "²" that isdigit() accepts.
    if not token.isdecimal() or len(token) > 10:
        return None
    value = int(token)
    return value if 1 <= value <= MAX_ID else None


def parse_offer(text: str, delivery_id: str | None = None) -> c.Command:
    text = text.strip()
    verb, _, rest = text.partition(" ")
    verb = verb.lower()
    if not text or verb == "help":
        return c.ShowHelp(topic="offer")
    if verb == "list" or verb == "search":
        query, page = rest.strip(), 1
        match = _PAGE.search(query)
        if match:
            query, page = query[: match.start()].strip(), max(1, int(match.group(1)))
        return c.ListOffers(query=query, page=page)
    if verb in ("close", "renew"):
        offer_id = parse_id(rest)
        if offer_id is None:
            return c.Invalid(f"Which offer? Give its number, e.g. /offer {verb} 12")
        return c.CloseOffer(offer_id) if verb == "close" else c.RenewOffer(offer_id)
    if verb == "add":
        return c.CreateOffer(text=rest, delivery_id=delivery_id)
    return c.CreateOffer(text=text, delivery_id=delivery_id)


def parse_connections(text: str, syntax: Syntax) -> c.Command:
    words = text.split()
    if not words or words[0].lower() == "help":
        return c.ShowHelp()
    verb = words[0].lower()
    simple: dict[str, c.Command] = {
        "me": c.ShowMe(),
        "optout": c.OptOut(),
        "optin": c.OptIn(),
        "export": c.ExportMyData(),
    }
    if verb in simple and len(words) == 1:
        return simple[verb]
    if verb == "forget":
        if len(words) == 1:
            return c.ForgetMe()
        if len(words) == 2 and words[1].lower() == "confirm":
            return c.ForgetMe(confirmed=True)
    if verb == "admin":
        return parse_admin(text.split(None, 1)[1] if len(words) > 1 else "", syntax)
    return c.Invalid(
        f"I don't know “{shorten(clean(text), 40)}”. Try /connections help for the full list."
    )


ADMIN_USAGE = "See /connections help for the admin commands."
LIMIT_KINDS = ("daily", "reason", "burst")
LIMIT_USAGE = "Limits: /connections admin limit daily 10 | limit reason 15 | limit burst 5"
HIDE_USAGE = (
    "Which kudos? Give its number from /connections admin recent, "
    "e.g. /connections admin {verb} 123"
)
REACTION_USAGE = "Reactions: /connections admin reaction :raised_hands: | reaction off"


def parse_admin(text: str, syntax: Syntax) -> c.Command:
    words = text.split()
    lowered = [w.lower() for w in words]
    if not words or lowered[0] == "help":
        return c.ShowHelp(topic="admin")
    head = lowered[0]
    if head == "stats" and len(words) == 1:
        return c.ShowStats()
    if head == "digest" and len(words) >= 2:
        return _parse_digest(words[1:], syntax)
    if head in ("prompt", "prompts"):
        return _parse_prompt(text.split(None, 2)[1:] if len(words) > 1 else [])
    if head == "limit" and len(words) == 3:
        kind = lowered[1]
        if kind not in LIMIT_KINDS or not words[2].isdecimal() or len(words[2]) > 6:
            return c.Invalid(LIMIT_USAGE)
        return c.SetLimit(kind=kind, value=int(words[2]))
    if head in ("hide", "unhide"):
        kudos_id = parse_id(words[1]) if len(words) == 2 else None
        if kudos_id is None:
            return c.Invalid(HIDE_USAGE.format(verb=head))
        return c.HideKudos(kudos_id, hidden=head == "hide")
    if head == "recent" and len(words) == 1:
        return c.ListRecentKudos()
    if head in ("grant", "revoke") and len(words) == 2:
        mention = syntax.user_mention.search(words[1])
        if mention is None:
            return c.Invalid(f"Whom? e.g. /connections admin {head} @alice")
        member_id = mention.group("id")
        return c.GrantAdmin(member_id) if head == "grant" else c.RevokeAdmin(member_id)
    if head == "reaction":
        if len(words) != 2:
            return c.Invalid(REACTION_USAGE)
        return c.SetReactionEmoji(None if lowered[1] == "off" else words[1])
    return c.Invalid(f"I don't know that admin command. {ADMIN_USAGE}")


def _parse_digest(words: list[str], syntax: Syntax) -> c.Command:
    verb = words[0].lower()
    simple: dict[str, c.Command] = {
        "pause": c.PauseDigest(),
        "resume": c.ResumeDigest(),
        "preview": c.PreviewDigest(),
        "now": c.SendDigestNow(),
    }
    if verb in simple and len(words) == 1:
        return simple[verb]
    if verb == "channel" and len(words) == 2:
        ref = syntax.channel_ref.search(words[1])
        if ref is None:
            return c.Invalid("Which channel? e.g. /connections admin digest channel #general")
        return c.SetDigestChannel(ref.group("id"))
    if verb == "schedule" and len(words) in (3, 4):
        weekday = parse_weekday(words[1])
        if weekday is None:
            return c.Invalid("The day must be one of mon, tue, wed, thu, fri, sat, sun.")
        return c.SetDigestSchedule(
            weekday=weekday, time=words[2], timezone=words[3] if len(words) == 4 else None
        )
    return c.Invalid(
        "Digest commands: channel #name | schedule mon 09:00 Europe/Berlin | pause | resume "
        "| preview | now"
    )


def _parse_prompt(parts: list[str]) -> c.Command:
    if not parts:
        return c.ListPrompts()
    verb = parts[0].lower()
    rest = parts[1] if len(parts) > 1 else ""
    if verb == "list" and not rest:
        return c.ListPrompts()
    if verb == "add":
        return c.AddPrompt(text=rest)
    if verb == "remove":
        prompt_id = parse_id(rest)
        if prompt_id is None:
            return c.Invalid("Which prompt? e.g. /connections admin prompt remove 3")
        return c.RemovePrompt(prompt_id)
    return c.Invalid("Prompts: add <text> | list | remove <number>")
