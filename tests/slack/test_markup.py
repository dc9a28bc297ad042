"""Reading Slack's escaped text, and writing text that can never ping."""

from __future__ import annotations

import logging

import pytest

from adapters.slack.markup import SLACK_SYNTAX, escape, mention, to_plain, truncate
from adapters.slack.redaction import REDACTED, redact_secrets_in_logs
from adapters.slack.slash_commands import parse_connections_text, parse_kudos_text
from bot import commands as c


@pytest.mark.parametrize(
    ("slack", "plain"),
    [
        ("<!here>", "@here"),
        ("<!channel>", "@channel"),
        ("<!everyone>", "@everyone"),
        ("<!here|here>", "@here"),
        ("<!subteam^S0DEVS|@devs>", "@devs"),
        ("<!subteam^S0DEVS>", "@group"),
        ("<!date^1392734382^{date_short}|Feb 18, 2014>", "Feb 18, 2014"),
        ("<#C0GENERAL|general>", "#general"),
        ("<#C0GENERAL>", "#channel"),
        ("<@U0BOB|bob>", "@bob"),
        ("<https://example.com/a?b=1&amp;c=2>", "https://example.com/a?b=1&c=2"),
        ("<https://example.com|the docs>", "the docs (https://example.com)"),
        ("<mailto:bob@example.com|bob@example.com>", "bob@example.com"),
        ("fish &amp; chips &lt;3 &gt;_&lt;", "fish & chips <3 >_<"),
        ("&amp;lt;", "&lt;"),
        ("zoë 🚚 — ok", "zoë 🚚 — ok"),
    ],
)
def test_slack_text_is_read_as_the_member_saw_it(slack: str, plain: str) -> None:
    assert to_plain(slack) == plain


@pytest.mark.parametrize(
    "text",
    [
        "<!channel> <!here> <!everyone> <!subteam^S1|@devs>",
        "@channel @here @everyone @devs @bob @Channel",
        "<@U0BOB> and <#C0GENERAL> and <https://evil.example|click>",
        "&lt;!channel&gt; &amp;",
    ],
)
def test_escaped_text_cannot_ping_or_link(text: str) -> None:
    out = escape(to_plain(text))

    assert "<" not in out and ">" not in out
    assert "@channel" not in out.lower() and "@here" not in out and "@bob" not in out


def test_escaping_keeps_email_addresses_and_escapes_markup_characters() -> None:
    assert escape("mail bob@example.com & <b>") == "mail bob@example.com &amp; &lt;b&gt;"


def test_only_real_user_ids_become_mentions() -> None:
    assert mention("U0BOB", "Bob") == "<@U0BOB>"
    assert mention("W0DAVE", "Dave") == "<@W0DAVE>"
    assert mention("!channel", "@channel") == "@\u200bchannel"


def test_truncation_never_cuts_an_escape_in_half() -> None:
    assert truncate("a" * 10, 20) == "a" * 10
    assert truncate("x" * 8 + "&amp;&amp;", 12) == "x" * 8 + "…"
    assert truncate("x" * 8 + "&amp;&amp;", 15) == "x" * 8 + "&amp;…"
    assert len(truncate("y" * 5000, 3000)) == 3000


def test_slack_syntax_finds_people_and_channels() -> None:
    text = "<@U0ALICE> <@U0BOB|bob> <@W0DAVE> <!here> <#C0GEN|general> <#G0PRIV>"

    assert [m.group("id") for m in SLACK_SYNTAX.user_mention.finditer(text)] == [
        "U0ALICE",
        "U0BOB",
        "W0DAVE",
    ]
    assert [m.group("id") for m in SLACK_SYNTAX.channel_ref.finditer(text)] == ["C0GEN", "G0PRIV"]


def test_a_kudos_keeps_channel_links_readable_and_values_apart() -> None:
    command = parse_kudos_text(
        "<@U0BOB> for the help in <#C0OPS|ops> with R&amp;D <!here> #r&amp;d #teamwork", "d1"
    )

    assert command == c.GiveKudos(
        recipient_ids=("U0BOB",),
        reason="for the help in #ops with R&D @here",
        tags=("r&d", "teamwork"),
        delivery_id="d1",
    )


def test_admin_commands_read_slack_mentions_and_channels() -> None:
    assert parse_connections_text("admin grant <@U0BOB|bob>") == c.GrantAdmin("U0BOB")
    assert parse_connections_text("admin digest channel <#C0GEN|general>") == (
        c.SetDigestChannel("C0GEN")
    )
    assert parse_connections_text("admin reaction :tada:") == c.SetReactionEmoji(":tada:")
    assert parse_connections_text("admin reaction OFF") == c.SetReactionEmoji(None)
    assert parse_connections_text("admin prompt add Thank &lt;someone&gt; today") == (
        c.AddPrompt("Thank <someone> today")
    )


def test_log_records_never_carry_tokens(caplog: pytest.LogCaptureFixture) -> None:
    redact_secrets_in_logs(["s3cr3t-signing-value"])
    log = logging.getLogger("tests.slack.redaction")

    with caplog.at_level(logging.INFO):
        log.info("tokens %s %s", "xoxb-1-2-abc", "xapp-1-A1-2-def")
        log.info("refresh xoxe.xoxb-1-abc and xoxe-1-def, secret s3cr3t-signing-value")
        try:
            raise RuntimeError("failed with xoxp-9-8-ghi")
        except RuntimeError:
            log.exception("boom")

    assert "xox" not in caplog.text and "xapp" not in caplog.text
    assert "s3cr3t" not in caplog.text
    assert caplog.text.count(REDACTED) >= 6
