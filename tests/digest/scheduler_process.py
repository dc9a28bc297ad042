"""One bot process's digest scheduler, for the multi-process tests:

    python -m tests.digest.scheduler_process DATABASE_URL OUT_FILE WORKER

Wired by bootstrap exactly as `smart-connections run` wires it, with a Poster that appends
one line per post to OUT_FILE (so posts from every process can be counted). Prints "ready",
starts ticking when it reads a line, stops (finishing a running tick) at the next line or
end of input.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from dataclasses import replace

from bot.bootstrap import build_digest_scheduler, open_store
from bot.digest.model import Digest, PostKey
from bot.domain import Community
from bot.settings import Settings


class FilePoster:
    def __init__(self, path: str, worker: str) -> None:
        self._path = path
        self._worker = worker

    async def find_digest(self, community: Community, key: PostKey) -> bool:
        return False  # this test counts posts: a retaken claim is posted again

    async def post_digest(self, community: Community, digest: Digest, key: PostKey) -> None:
        await asyncio.sleep(random.uniform(0, 0.003))  # a platform call takes a moment
        line = f"{community.id} {digest.period_end.isoformat()} {self._worker}\n"
        fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())  # one small O_APPEND write: lines never interleave
        finally:
            os.close(fd)


async def main(database_url: str, out: str, worker: str) -> None:
    settings = Settings(database_url=database_url, scheduler_tick_seconds=0.05)
    async with open_store(settings, migrate=False) as store:
        store.digests = replace(store.digests, worker_id=worker)
        store.digests.poster.add("console", FilePoster(out, worker))
        scheduler = build_digest_scheduler(settings, store)
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        scheduler.start()
        await asyncio.to_thread(sys.stdin.readline)
        await scheduler.stop()
        print(f"stopped after {scheduler.ticks} ticks", flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
