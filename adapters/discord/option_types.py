"""Interactions whose options are not of the type Discord promises for them.

Discord checks every option before it sends an interaction: a string option carries text,
an integer one a whole number within ±2^53, a user one a snowflake. discord.py and the
commands rely on that; an interaction that breaks it (something other than Discord on the
gateway, a bug upstream) is answered plainly here instead of crashing a command.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

_SUB_COMMAND, _SUB_COMMAND_GROUP = 1, 2
_STRING, _INTEGER, _BOOLEAN, _NUMBER = 3, 4, 5, 10
_SNOWFLAKES = {6, 7, 8, 9, 11}  # user, channel, role, mentionable, attachment
_MAX_INTEGER = 2**53
_MAX_SNOWFLAKE = 2**64 - 1


def _snowflake(value: Any) -> bool:
    return (
        isinstance(value, str)
        and value.isascii()
        and value.isdecimal()
        and 0 < int(value) <= _MAX_SNOWFLAKE
    )


def _valid_value(kind: Any, value: Any, focused: bool) -> bool:
    if focused:  # an autocomplete's partly typed value is always text
        return isinstance(value, str)
    if kind == _STRING:
        return isinstance(value, str)
    if kind == _INTEGER:
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _MAX_INTEGER
    if kind == _BOOLEAN:
        return isinstance(value, bool)
    if kind == _NUMBER:
        return (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and abs(value) <= _MAX_INTEGER
        )
    return kind in _SNOWFLAKES and _snowflake(value)


def _valid_options(options: Any) -> bool:
    if options is None:
        return True
    if not isinstance(options, list):
        return False
    for option in options:
        if not isinstance(option, dict) or not isinstance(option.get("name"), str):
            return False
        kind = option.get("type")
        if kind in (_SUB_COMMAND, _SUB_COMMAND_GROUP):
            if not _valid_options(option.get("options")):
                return False
        elif not _valid_value(kind, option.get("value"), bool(option.get("focused"))):
            return False
    return True


def well_typed(data: Mapping[str, Any] | None) -> bool:
    """True when an application command's options (and its target) are what Discord sends."""
    if data is None or not isinstance(data.get("name"), str):
        return False
    if "target_id" in data and not _snowflake(data["target_id"]):
        return False
    return _valid_options(data.get("options"))
