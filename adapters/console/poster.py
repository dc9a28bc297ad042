"""Console digests: printed where the session writes, as the channel would show them."""

from __future__ import annotations

from collections.abc import Callable

from adapters.console.render import render_digest
from bot.digest.model import Digest
from bot.domain import Community


class ConsolePoster:
    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write

    async def post_digest(self, community: Community, digest: Digest) -> None:
        self._write(render_digest(digest, community.digest_channel))
