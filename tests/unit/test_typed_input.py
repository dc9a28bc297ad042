"""Whatever a member types into any command: a clear answer, quickly, nothing crashes."""

from __future__ import annotations

import re
import time

import pytest

from tests.fakes import FakeWorld
from tests.unit.driver import Chat

HUGE = 100_000

BAD_FORMS = {
    "empty": "",
    "whitespace": " \t\n \r\n  ",
    "huge": "w" * HUGE,
    "huge-words": "word " * (HUGE // 5),
    "huge-whitespace-run": "a" + " " * HUGE + "b page 1",
    "huge-mentions": "@x " * (HUGE // 3),
    "huge-tags": "#t " * (HUGE // 3),
    "huge-hashes": "#" * HUGE,
    "huge-punctuated-tag": "#" + "!" * HUGE + "x",
    "huge-dotted-tag": "#a" + ".," * (HUGE // 2) + "b",
    "huge-dotted-mention": "@" + "." * HUGE + "x",
    "unicode": "Grüße, 你好, مرحبا, नमस्ते — ça va? ½ ² ١٢",
    "zero-width": "\u200b\u200c\u200d\u2060\ufeff" * 10,
    "bidi": "\u202eevil\u202c \u2066text\u2069 \u200f",
    "emoji": "🎉🙏🏽 👩‍💻 🏳️‍🌈 🇩🇪 1️⃣",
    "controls": "\x00\x07\x1b[31mred\x1b[0m\x7f",
    "slack-markup": "<!channel> <!here> <!subteam^S1|team> @everyone @here <@U123>",
    "numbers": "99999999999999999999 -1 0 3.5 1e9 0x1F",
}
# Characters a reply must never carry: they hide or reorder what the member reads.
HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

PREFIXES = {
    "kudos": "",
    "kudos-to-bob": "@bob ",
    "offer": "",
    "offer-list": "list ",
    "offer-close": "close ",
    "offer-renew": "renew ",
    "connections": "",
    "forget": "forget ",
    "admin": "",
    "admin-prompt": "prompt add ",
    "admin-channel": "digest channel ",
    "admin-schedule": "digest schedule mon 09:00 ",
    "admin-limit": "limit daily ",
    "admin-grant": "grant ",
}


async def send(chat: Chat, entry: str, text: str) -> None:
    world = chat.world
    kudos_before = len(chat.stored_kudos())
    started = time.perf_counter()
    if entry.startswith("kudos"):
        reply = await chat.kudos("alice", text)
    elif entry.startswith("offer"):
        reply = await chat.offer("alice", text)
    elif entry.startswith("admin"):
        reply = await chat.admin("ada", text)
    else:
        reply = await chat.connections("alice", text)
    elapsed = time.perf_counter() - started

    assert elapsed < 1.0, f"took {elapsed:.2f}s"
    assert reply.text.strip()
    assert len(reply.text) < 3000, reply.text[:200]
    assert not HIDDEN.search(reply.text), ascii(reply.text[:300])
    assert world.notifier.calls == [] or len(chat.stored_kudos()) > kudos_before


@pytest.mark.parametrize("form", list(BAD_FORMS))
@pytest.mark.parametrize("entry", list(PREFIXES))
async def test_any_typed_input_gets_a_quick_clear_answer(chat: Chat, entry: str, form: str) -> None:
    await send(chat, entry, PREFIXES[entry] + BAD_FORMS[form])


@pytest.mark.parametrize(
    "invisible",
    [
        "",
        BAD_FORMS["whitespace"] * 10,
        BAD_FORMS["zero-width"],
        "\u202e\u202c\u2066\u2069\u200f\u200e" * 10,
        "\x00\x07\x1b\x7f\x85" * 10,
    ],
)
async def test_invisible_reasons_and_offers_record_nothing(
    chat: Chat, world: FakeWorld, invisible: str
) -> None:
    assert not (await chat.kudos("alice", "@bob " + invisible)).ok
    assert not (await chat.offer("alice", "add " + invisible)).ok

    assert chat.stored_kudos() == [] and chat.stored_offers() == []
    assert world.notifier.calls == []


async def test_stored_text_is_visible_text_only(chat: Chat) -> None:
    reason = "for the \u202eevil\u202c fix\u200b\x00 in cafe\u0301 👩\u200d💻\u200d"

    assert (await chat.kudos("alice", f"@bob {reason}")).ok
    assert (await chat.offer("alice", f"I help with\x1b[31m {reason}")).ok

    assert chat.stored_kudos()[0].reason == "for the evil fix in café 👩\u200d💻"
    assert chat.stored_offers()[0].text == "I help with [31m for the evil fix in café 👩\u200d💻"


async def test_a_thank_you_in_any_script_and_emoji_is_kept(chat: Chat) -> None:
    reason = "für die Übersetzung ins 日本語 und العربية 🙏🏽🏳️‍🌈"

    reply = await chat.kudos("alice", f"@zoë {reason} #dankbar")

    assert reply.ok and "Zoë" in reply.text
    [kudos] = chat.stored_kudos()
    assert kudos.recipient_ids == ("zoë",)
    assert kudos.reason == reason
    assert kudos.tags == ("dankbar",)


async def test_markup_in_a_reason_is_kept_as_text_for_the_adapter_to_escape(chat: Chat) -> None:
    assert (await chat.kudos("alice", "@bob for telling <!channel> about the outage")).ok

    assert chat.stored_kudos()[0].reason == "for telling <!channel> about the outage"


@pytest.mark.parametrize(
    "text",
    [
        "thanks @bob.",
        "@bob, @carol: for untangling the release script",
        "@bob! you untangled the release script",
    ],
)
async def test_punctuation_after_a_mention_is_not_part_of_the_name(chat: Chat, text: str) -> None:
    assert (await chat.admin("ada", "limit reason 5")).ok

    reply = await chat.kudos("alice", text)

    assert reply.ok, reply.text
    assert "bob" in chat.stored_kudos()[0].recipient_ids


@pytest.mark.parametrize("text", ["@bob for the release fix #teamwork.", "@bob for it all #craft!"])
async def test_punctuation_after_a_value_is_not_part_of_the_value(chat: Chat, text: str) -> None:
    reply = await chat.kudos("alice", text)

    assert reply.ok, reply.text
    assert chat.stored_kudos()[0].tags in (("teamwork",), ("craft",))
