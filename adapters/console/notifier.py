"""Console notifications: a line for each recipient, as a DM would be."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain import Kudos


class ConsoleNotifier:
    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write

    async def kudos_received(self, kudos: Kudos, giver_name: str) -> None:
        for recipient in kudos.recipient_ids:
            self._write(f"[dm to {recipient}] {giver_name} thanked you: {kudos.reason}")
