"""Secrets never reach a log line: the bot token, and the interaction tokens that
discord.py logs at DEBUG (in gateway events and webhook URLs; each lets its holder answer
for the bot for 15 minutes). Registered with the core's log redaction (bot.logs)."""

from __future__ import annotations

import re

from bot import logs

_IN_URL = re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/?\s'\"]+")
_IN_PAYLOAD = re.compile(r"""(['"]token['"]\s*:\s*['"])[^'"]+""")


# discord.py logs gateway events and HTTP bodies at DEBUG: members' words.
PAYLOAD_LOGGERS = ("discord.http", "discord.gateway", "discord.webhook", "discord.state")


def redact_discord_secrets(token: str) -> None:
    logs.quiet_payload_loggers(PAYLOAD_LOGGERS)
    logs.redact_secrets([token])
    logs.redact_pattern(_IN_URL, rf"\1{logs.REDACTED}")
    logs.redact_pattern(_IN_PAYLOAD, rf"\1{logs.REDACTED}")
