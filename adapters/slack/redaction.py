"""Tokens and secrets never reach a log line, whoever logs them (us, bolt, slack_sdk).

slack_sdk logs response bodies at DEBUG, and an OAuth exchange's body holds a fresh bot
token; the core's redactor (bot.logs) scrubs every record when it is created. This module
registers what is Slack's: the configured secrets and the shape of any Slack token."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot import logs

REDACTED = logs.REDACTED
# Bot, user, refresh and app-level tokens (xoxb-, xoxp-, xoxe.xoxb-1-, xoxe-1-, xapp-1-).
_TOKEN = re.compile(r"\b(?:xox[a-z]?(?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]+")


# bolt and slack_sdk log every request and response body at DEBUG: members' words.
PAYLOAD_LOGGERS = ("adapters.slack.web", "adapters.slack.bolt", "slack_sdk", "slack_bolt")


def redact_secrets_in_logs(secrets: Iterable[str | None]) -> None:
    """Hide these secrets and any Slack token in every log record from now on, and keep the
    libraries' payload dumps out of the configured logs."""
    logs.redact_secrets(secrets)
    logs.redact_pattern(_TOKEN)
    logs.quiet_payload_loggers(PAYLOAD_LOGGERS)
