"""What the configured logs promise, line by line: JSON with the request id, secrets
redacted, and the libraries' payload dumps (members' words) left out even at DEBUG."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from adapters.discord.redaction import redact_discord_secrets
from adapters.slack.redaction import redact_secrets_in_logs
from bot import logs


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Logging configured as `smart-connections` configures it, then put back."""
    root = logging.getLogger()
    handlers, level, factory = list(root.handlers), root.level, logging.getLogRecordFactory()
    out = io.StringIO()
    logs.configure("DEBUG", stream=out, json_lines=True)
    yield out
    logging.setLogRecordFactory(factory)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_payload_dumps_stay_out_even_at_debug(stream: io.StringIO) -> None:
    redact_secrets_in_logs(["xoxb-1-2-secret-bot-token"])
    redact_discord_secrets("discord.bot.token.value")

    logging.getLogger("adapters.slack.web").debug("Sending a request - body: {'text': 'for X'}")
    logging.getLogger("discord.gateway").debug("WebSocket Event: {'reason': 'for X'}")
    logging.getLogger("discord.http").info("POST /channels/1/messages has returned 200")
    logging.getLogger("adapters.slack.adapter").debug("our own debug line")

    logged = lines(stream)
    assert [r["logger"] for r in logged] == ["discord.http", "adapters.slack.adapter"]


def test_each_line_is_json_with_the_request_id_and_no_secret(stream: io.StringIO) -> None:
    redact_secrets_in_logs(["signing-secret-abcdef"])
    log = logging.getLogger("tests.logs")

    with logs.request_context("req-42"):
        log.info("handling with secret %s and token %s", "signing-secret-abcdef", "xoxb-9-9-x")
    log.info("between requests")

    first, second = lines(stream)
    assert first["request_id"] == "req-42"
    assert "signing-secret-abcdef" not in str(first) and "xoxb-9-9-x" not in str(first)
    assert first["message"] == "handling with secret [redacted] and token [redacted]"
    assert "request_id" not in second
