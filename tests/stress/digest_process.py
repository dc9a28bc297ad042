"""`smart-connections run` for Slack, as bootstrap wires it, with a short digest lease:

    python -m tests.stress.digest_process LEASE_SECONDS POST_TIMEOUT_SECONDS

A digest claimed by a process that was killed is taken over once its lease runs out (15
minutes in production, with a 60 s post timeout); the kill test cannot wait that long.
Settings come from the environment, as for `run`.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from datetime import timedelta

from bot import bootstrap
from bot.settings import Settings


async def main(lease_seconds: float, post_timeout: float) -> None:
    settings = Settings()
    bootstrap.configure_logging(settings)
    async with bootstrap.open_store(settings) as store:
        policy = replace(
            store.digests.policy, lease=timedelta(seconds=lease_seconds), post_timeout=post_timeout
        )
        store.digests = replace(store.digests, policy=policy)
        runtime = await bootstrap._slack_runtime(settings, store)
        await bootstrap._serve_with_digests(settings, store, [runtime])


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]), float(sys.argv[2])))
