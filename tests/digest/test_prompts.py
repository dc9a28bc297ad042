"""The prompt of the week across weeks of scheduled digests, in the real store."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import Store
from bot.commands import AddPrompt, PreviewDigest, RemovePrompt
from bot.digest.prompts import BUILT_IN_PROMPTS
from bot.digest.publisher import DigestDelivery
from bot.digest.routing import RoutingPoster
from bot.domain import Actor
from bot.handlers.context import Ports
from bot.handlers.digest import register_digest_commands
from bot.service import ConnectionsService
from tests.digest.support import COMMUNITY, DUE, RecordingPoster, Seed, wire
from tests.fakes import FakeDirectory, FixedClock, RecordingNotifier

ADMIN = Actor(community_id=COMMUNITY, member_id="ada", display_name="Ada", is_platform_admin=True)


async def post_weeks(store: Store, clock: FixedClock, poster: RecordingPoster, weeks: int) -> None:
    runner = wire(store.uow, clock, poster)
    for _ in range(weeks):
        async with store.uow() as uow:
            community = await uow.communities.get(COMMUNITY)
        assert community is not None and community.next_digest_due_at is not None
        clock.set(community.next_digest_due_at + timedelta(minutes=1))
        report = await runner.run_once()
        assert report.posted == 1, report


def admin_service(store: Store, clock: FixedClock, poster: RecordingPoster) -> ConnectionsService:
    ports = Ports(
        uow=store.uow, directory=FakeDirectory(), notifier=RecordingNotifier(), clock=clock
    )
    service = ConnectionsService(ports)
    register_digest_commands(service, DigestDelivery(poster=RoutingPoster({"console": poster})))
    return service


async def test_built_in_prompts_rotate_without_repeating_until_all_were_used(
    store: Store,
) -> None:
    clock = FixedClock(DUE - timedelta(days=1))
    await Seed(store.uow).community(now=clock.now())
    poster = RecordingPoster(clock)
    await post_weeks(store, clock, poster, len(BUILT_IN_PROMPTS) + 2)
    prompts = [p.digest.prompt for p in poster.posts]
    assert sorted(prompts[: len(BUILT_IN_PROMPTS)]) == sorted(BUILT_IN_PROMPTS)
    assert prompts[len(BUILT_IN_PROMPTS) :] == prompts[:2]


async def test_admin_prompts_replace_the_built_ins_and_rotate_least_recently_used(
    store: Store,
) -> None:
    clock = FixedClock(DUE - timedelta(days=1))
    await Seed(store.uow).community(now=clock.now())
    poster = RecordingPoster(clock)
    service = admin_service(store, clock, poster)
    for text in ("Review a PR you were not asked to", "Pair with a newcomer", "Fix a flaky test"):
        assert (await service.handle(ADMIN, AddPrompt(text))).ok
    await post_weeks(store, clock, poster, 2)
    # A prompt added mid-rotation has never been used: it comes before any repeat.
    assert (await service.handle(ADMIN, AddPrompt("Document a tribal secret"))).ok
    await post_weeks(store, clock, poster, 3)
    removed = await service.handle(ADMIN, RemovePrompt(1))
    assert removed.ok, removed.text
    await post_weeks(store, clock, poster, 3)
    assert [p.digest.prompt for p in poster.posts] == [
        "Review a PR you were not asked to",
        "Pair with a newcomer",
        "Fix a flaky test",
        "Document a tribal secret",
        "Review a PR you were not asked to",
        "Pair with a newcomer",
        "Fix a flaky test",
        "Document a tribal secret",
    ]


async def test_a_preview_shows_the_coming_prompt_without_using_it(store: Store) -> None:
    clock = FixedClock(DUE - timedelta(days=1))
    await Seed(store.uow).community(now=clock.now())
    poster = RecordingPoster(clock)
    service = admin_service(store, clock, poster)
    first = await service.handle(ADMIN, PreviewDigest())
    again = await service.handle(ADMIN, PreviewDigest())
    assert first.digest is not None and again.digest is not None
    assert first.digest.prompt == again.digest.prompt == BUILT_IN_PROMPTS[0]
    assert poster.posts == []
    await post_weeks(store, clock, poster, 1)
    assert poster.posts[0].digest.prompt == BUILT_IN_PROMPTS[0]
    after = await service.handle(ADMIN, PreviewDigest())
    assert after.digest is not None and after.digest.prompt == BUILT_IN_PROMPTS[1]
