"""One bot process giving kudos, for the multi-process storage tests:

    python -m tests.storage.kudos_process DATABASE_URL FIRST LAST

Gives one kudos per delivery id FIRST..LAST-1 through the real core and store, 16 at a
time (as a busy process would), each from its own giver, and prints a JSON line: how many
answers said "recorded" and how many "delivered twice".
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

from adapters.console.directory import ConsoleDirectory
from bot import commands as c
from bot.bootstrap import open_store
from bot.clock import SystemClock
from bot.domain import Actor
from bot.handlers.context import Ports
from bot.service import ConnectionsService
from bot.settings import Settings
from tests.harness import NullNotifier

COMMUNITY = "console:local"
IN_FLIGHT = 16


async def main(database_url: str, first: int, last: int) -> None:
    async with open_store(
        Settings(_env_file=None, database_url=database_url), migrate=False
    ) as store:
        ports = Ports(
            uow=store.uow,
            directory=ConsoleDirectory(),
            notifier=NullNotifier(),
            clock=SystemClock(),
        )
        service = ConnectionsService(ports)
        answers: list[str] = []
        queue = iter(range(first, last))

        async def worker() -> None:
            for n in queue:
                actor = Actor(
                    community_id=COMMUNITY, member_id=f"giver{n}", display_name=f"giver{n}"
                )
                command = c.GiveKudos(
                    recipient_ids=("bob",),
                    reason=f"for the help with delivery {n}",
                    delivery_id=f"delivery-{n}",
                )
                answers.append((await service.handle(actor, command)).text)

        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        print(
            json.dumps(
                {
                    "recorded": sum("is recorded" in a for a in answers),
                    "twice": sum("delivered twice" in a for a in answers),
                    "other": [a for a in answers if "recorded" not in a][:3],
                    "at": datetime.now(UTC).isoformat(),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
