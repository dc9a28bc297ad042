"""Logging: JSON lines when not on a terminal, a request id on every record, and secrets
(tokens, signing secrets, patterns the adapters register) redacted before any handler."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO

REDACTED = "[redacted]"
_MIN_SECRET = 6  # shorter "secrets" would redact ordinary words

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


@contextmanager
def request_context(value: str | None = None) -> Iterator[str]:
    """Tag every log record made inside (this task and tasks it starts) with one id."""
    rid = value or uuid.uuid4().hex[:16]
    token = request_id.set(rid)
    try:
        yield rid
    finally:
        request_id.reset(token)


class _Redactor:
    """A log record factory: records are redacted when created, so no handler, formatter or
    library (slack_sdk and discord.py log payloads at DEBUG) ever holds the secret."""

    def __init__(self, make_record: Callable[..., logging.LogRecord]) -> None:
        self.make_record = make_record
        self.secrets: set[str] = set()
        self.patterns: list[tuple[re.Pattern[str], str]] = []

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern, replacement in self.patterns:
            text = pattern.sub(replacement, text)
        return text

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.make_record(*args, **kwargs)
        record.request_id = request_id.get()
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logging call's problem, not ours
            return record
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info:
            # Tracebacks quote the failing values: format the text now, redacted.
            record.exc_text = self.redact(
                record.exc_text or logging.Formatter().formatException(record.exc_info)
            )
        return record


def _redactor() -> _Redactor:
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _Redactor):
        factory = _Redactor(factory)
        logging.setLogRecordFactory(factory)
    return factory


def redact_secrets(secrets: Iterable[str | None]) -> None:
    """Hide these exact strings in every log record from now on (idempotent)."""
    _redactor().secrets.update(s for s in secrets if s and len(s) >= _MIN_SECRET)


def redact_pattern(pattern: re.Pattern[str], replacement: str = REDACTED) -> None:
    """Hide whatever matches (e.g. any Slack token shape) in every log record from now on."""
    redactor = _redactor()
    if all(p.pattern != pattern.pattern for p, _ in redactor.patterns):
        redactor.patterns.append((pattern, replacement))


# Loggers whose DEBUG lines carry whole platform payloads (members' words, exported data).
# Adapters register theirs; the configured output shows them from INFO up, whatever
# LOG_LEVEL says (a handler filter: nothing else, e.g. a test's capture, is affected).
_payload_loggers: set[str] = set()


def quiet_payload_loggers(names: Iterable[str]) -> None:
    """Keep these loggers' DEBUG lines (they quote payloads) out of the configured logs."""
    _payload_loggers.update(names)


def _not_a_payload_dump(record: logging.LogRecord) -> bool:
    if record.levelno >= logging.INFO:
        return True
    name = record.name
    return not any(name == p or name.startswith(p + ".") for p in _payload_loggers)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            entry["request_id"] = rid
        if record.exc_info or record.exc_text:
            entry["error"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(entry, ensure_ascii=False)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        record.rid = f" [{rid}]" if rid else ""
        return super().format(record)


def configure(level: str, stream: TextIO | None = None, json_lines: bool | None = None) -> None:
    """Logs go to stderr: JSON lines for machines, readable text on a terminal."""
    out = stream or sys.stderr
    use_json = (not out.isatty()) if json_lines is None else json_lines
    handler = logging.StreamHandler(out)
    handler.addFilter(_not_a_payload_dump)
    handler.setFormatter(
        JsonFormatter()
        if use_json
        else _TextFormatter("%(asctime)s %(levelname)s %(name)s%(rid)s: %(message)s")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    _redactor()
    # Migration chatter on every start helps nobody; real problems still show as warnings.
    logging.getLogger("alembic").setLevel(logging.WARNING)
