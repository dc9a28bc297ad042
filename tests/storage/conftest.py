"""Storage tests share the harness fixtures of tests/conftest.py."""

from tests.harness import Harness, NullNotifier, SettableClock

__all__ = ["Harness", "NullNotifier", "SettableClock"]
