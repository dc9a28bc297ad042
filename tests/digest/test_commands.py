"""`digest preview` and `digest now`, typed by admins (and others) through the real parser
into the service, over the real store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.bootstrap import Store
from bot.digest.publisher import DigestDelivery
from bot.digest.routing import RoutingPoster
from bot.digest.text import digest_text
from bot.domain import Actor
from bot.handlers.context import Ports
from bot.handlers.digest import PREVIEW_HEADER, register_digest_commands
from bot.parsing import CONSOLE_SYNTAX, parse_connections
from bot.replies import Reply
from bot.service import NOT_ADMIN, ConnectionsService
from tests.digest.support import COMMUNITY, DUE, WEEK_START, RecordingPoster, Seed, wire
from tests.fakes import FakeDirectory, FixedClock, RecordingNotifier

WEDNESDAY = DUE - timedelta(days=5)  # mid-week, before Monday's due time


class Admin:
    def __init__(self, store: Store, clock: FixedClock, poster: RecordingPoster) -> None:
        self.clock = clock
        directory = FakeDirectory()
        directory.add("ada", "Ada", is_platform_admin=True)
        directory.add("bob", "Bob")
        ports = Ports(uow=store.uow, directory=directory, notifier=RecordingNotifier(), clock=clock)
        self.service = ConnectionsService(ports)
        delivery = DigestDelivery(poster=RoutingPoster({"console": poster}), worker_id="cmd")
        register_digest_commands(self.service, delivery)

    async def say(self, text: str, who: str = "ada") -> Reply:
        actor = Actor(COMMUNITY, who, who.capitalize(), is_platform_admin=who == "ada")
        return await self.service.handle(actor, parse_connections(text, CONSOLE_SYNTAX))


@dataclass
class Scene:
    store: Store
    clock: FixedClock
    poster: RecordingPoster
    admin: Admin


@pytest.fixture
async def scene(store: Store) -> Scene:
    """A community due Monday 9 Mar 09:00 UTC, on the Wednesday before, with one kudos."""
    clock = FixedClock(WEDNESDAY)
    seed = Seed(store.uow)
    await seed.community(now=WEEK_START)
    await seed.members("Alice", "Bob")
    await seed.kudos("alice", "bob", at=WEDNESDAY - timedelta(days=1), unprompted=True)
    poster = RecordingPoster(clock)
    return Scene(store, clock, poster, Admin(store, clock, poster))


async def test_preview_shows_the_digest_to_the_admin_only_and_posts_nothing(scene: Scene) -> None:
    store = scene.store
    poster = scene.poster
    admin = scene.admin
    reply = await admin.say("admin digest preview")
    assert reply.ok and reply.digest is not None
    assert reply.text == f"{PREVIEW_HEADER}\n{digest_text(reply.digest)}"
    assert reply.digest.period_end == WEDNESDAY and reply.digest.kudos_count == 1
    assert "Alice → Bob" in reply.text
    assert poster.posts == []
    async with store.uow() as uow:
        assert await uow.digests.get(COMMUNITY, WEEK_START) is None


@pytest.mark.parametrize("text", ["admin digest preview", "admin digest now"])
async def test_members_who_are_not_admins_are_refused(scene: Scene, text: str) -> None:
    poster = scene.poster
    admin = scene.admin
    reply = await admin.say(text, who="bob")
    assert not reply.ok and reply.text == NOT_ADMIN and reply.digest is None
    assert poster.attempts == 0


@pytest.mark.parametrize(
    "text",
    [
        "admin digest",
        "admin digest preview now",
        "admin digest now please",
        "admin digest pre\u200bview",
        "admin digest 预览",
        "admin digest now @everyone",
        "admin digest " + "now " * 5000,
    ],
)
async def test_malformed_digest_commands_get_the_usage(scene: Scene, text: str) -> None:
    poster = scene.poster
    admin = scene.admin
    reply = await admin.say(text)
    assert not reply.ok and reply.digest is None and len(reply.text) < 500
    assert ("preview" in reply.text and "now" in reply.text) or "/connections help" in reply.text
    assert poster.attempts == 0


async def test_now_posts_and_counts_as_this_weeks_digest(scene: Scene) -> None:
    store = scene.store
    clock = scene.clock
    poster = scene.poster
    admin = scene.admin
    reply = await admin.say("admin digest now")
    assert reply.ok, reply.text
    assert "counts as this week's digest" in reply.text
    assert "Mon 09 Mar 09:00 UTC will not be posted" in reply.text
    assert "next one is due Mon 16 Mar 09:00 UTC" in reply.text
    [post] = poster.posts
    assert (post.digest.period_start, post.digest.period_end) == (
        WEDNESDAY - timedelta(days=7),
        WEDNESDAY,
    )
    async with store.uow() as uow:
        audit = await uow.audit.list(COMMUNITY)
    assert [a.action for a in audit] == ["digest.now"]

    # Monday's scheduled run finds this week taken and moves on to the next week.
    runner = wire(store.uow, clock, poster, worker_id="scheduler")
    clock.set(DUE + timedelta(minutes=1))
    await runner.run_once()
    assert len(poster.posts) == 1
    clock.set(DUE + timedelta(days=7))
    await runner.run_once()
    assert [p.digest.period_end for p in poster.posts] == [WEDNESDAY, DUE + timedelta(days=7)]


async def test_now_twice_says_it_was_already_posted(scene: Scene) -> None:
    clock = scene.clock
    poster = scene.poster
    admin = scene.admin
    assert (await admin.say("admin digest now")).ok
    clock.advance(minutes=5)
    again = await admin.say("admin digest now")
    assert not again.ok
    assert "already posted (Wed 04 Mar 09:00 UTC)" in again.text
    assert len(poster.posts) == 1


async def test_now_when_it_cannot_be_delivered_explains_and_keeps_the_week_open(
    scene: Scene,
) -> None:
    poster = scene.poster
    admin = scene.admin
    poster.undeliverable = True
    reply = await admin.say("admin digest now")
    assert not reply.ok
    assert "couldn't post the digest: no digest channel is set" in reply.text
    assert "Nothing was posted" in reply.text
    poster.undeliverable = False  # the admin fixed it
    assert (await admin.say("admin digest now")).ok
    assert len(poster.posts) == 1


async def test_now_when_the_platform_fails_is_retried_by_the_scheduler(scene: Scene) -> None:
    store = scene.store
    clock = scene.clock
    poster = scene.poster
    admin = scene.admin
    poster.failures[COMMUNITY] = 1
    reply = await admin.say("admin digest now")
    assert not reply.ok
    assert "yet (the platform answered 503)" in reply.text and "try again" in reply.text
    clock.advance(minutes=1)
    await wire(store.uow, clock, poster, worker_id="scheduler").run_once()
    [post] = poster.posts
    assert post.digest.period_end == clock.now()  # the 7 days before it went out
    clock.set(DUE + timedelta(minutes=1))
    await wire(store.uow, clock, poster, worker_id="scheduler").run_once()
    assert len(poster.posts) == 1


async def test_now_just_after_the_due_time_takes_the_overdue_digest(scene: Scene) -> None:
    store = scene.store
    clock = scene.clock
    poster = scene.poster
    admin = scene.admin
    clock.set(DUE + timedelta(seconds=20))  # before the scheduler's next tick
    reply = await admin.say("admin digest now")
    assert reply.ok and "next one is due Mon 16 Mar" in reply.text
    [post] = poster.posts
    assert (post.digest.period_start, post.digest.period_end) == (WEEK_START, DUE)
    await wire(store.uow, clock, poster, worker_id="scheduler").run_once()
    assert len(poster.posts) == 1
