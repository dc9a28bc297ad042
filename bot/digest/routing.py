"""A Poster that hands each digest to the poster of its community's platform."""

from __future__ import annotations

from bot.digest.errors import DigestNotDeliverable
from bot.digest.model import Digest, PostKey
from bot.domain import Community, platform_of
from bot.ports import Poster


class RoutingPoster:
    """Filled with one poster per running platform ("console", "slack", "discord"); the
    scheduler only claims digests of the platforms it can post to."""

    def __init__(self, posters: dict[str, Poster] | None = None) -> None:
        self._posters: dict[str, Poster] = dict(posters or {})

    def add(self, platform: str, poster: Poster) -> None:
        self._posters[platform] = poster

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(sorted(self._posters))

    def _poster_of(self, community: Community) -> Poster:
        poster = self._posters.get(platform_of(community.id))
        if poster is None:
            raise DigestNotDeliverable(
                f"the {platform_of(community.id)} adapter is not running in this process"
            )
        return poster

    async def post_digest(self, community: Community, digest: Digest, key: PostKey) -> None:
        await self._poster_of(community).post_digest(community, digest, key)

    async def find_digest(self, community: Community, key: PostKey) -> bool:
        return await self._poster_of(community).find_digest(community, key)
