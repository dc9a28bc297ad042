"""Console digests: printed where the session writes, as the channel would show them."""

from __future__ import annotations

from collections.abc import Callable

from adapters.console.render import render_digest
from bot.digest.model import Digest, PostKey
from bot.domain import Community


class ConsolePoster:
    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write

    async def post_digest(self, community: Community, digest: Digest, key: PostKey) -> None:
        self._write(render_digest(digest, community.digest_channel))

    async def find_digest(self, community: Community, key: PostKey) -> bool:
        return False  # what was printed cannot be read back: a cut-short digest prints again
