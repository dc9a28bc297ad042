"""Edge cases of the digest's sections, over the in-memory fakes of the store ports."""

from __future__ import annotations

from datetime import timedelta

from bot.digest.builder import MAX_GIVERS, BuiltDigest, build_digest
from bot.digest.model import GiverLine, Story
from tests.digest.support import COMMUNITY, DUE, WEEK_START, Seed
from tests.fakes import FakeStore

H = timedelta(hours=1)


async def build(store: FakeStore) -> BuiltDigest:
    async with store.uow() as uow:
        community = await uow.communities.get(COMMUNITY)
        assert community is not None
        return await build_digest(uow, community, WEEK_START, DUE)


async def seeded(*names: str) -> tuple[FakeStore, Seed]:
    store = FakeStore()
    seed = Seed(store.uow)
    await seed.community()
    await seed.members(*names)
    return store, seed


async def test_at_most_five_stories_and_new_people_before_repeats() -> None:
    store, seed = await seeded(
        "Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Gus", "Hal", "Ivy"
    )
    for i in range(4):
        await seed.kudos(
            "alice", "bob", at=WEEK_START + i * H, reason=f"story {i}", unprompted=True
        )
    await seed.kudos("carol", "dave", at=WEEK_START + 5 * H, reason="story c", unprompted=True)
    await seed.kudos("erin", "frank", at=WEEK_START + 6 * H, reason="story e", unprompted=True)
    await seed.kudos("gus", "hal", at=WEEK_START + 7 * H, reason="story g", unprompted=True)
    await seed.kudos("ivy", "carol", at=WEEK_START + 8 * H, reason="story i", unprompted=True)
    await seed.kudos("dave", "erin", at=WEEK_START + 9 * H, reason="prompted", unprompted=False)
    stories = (await build(store)).digest.stories
    assert [s.reason for s in stories] == ["story 0", "story c", "story e", "story g", "story i"]


async def test_a_story_leaves_out_receivers_it_may_not_name_and_drops_when_none_remain() -> None:
    store, seed = await seeded("Alice", "Bob")
    await seed.members("Olga", opted_out=True)
    await seed.kudos("alice", "bob", "olga", at=WEEK_START, reason="for the demo", unprompted=True)
    await seed.kudos("alice", "olga", at=WEEK_START + H, reason="secret", unprompted=True)
    await seed.kudos("alice", "stranger", at=WEEK_START + H, reason="unknown", unprompted=True)
    assert (await build(store)).digest.stories == (Story("Alice", ("Bob",), "for the demo"),)


async def test_a_mutual_pair_credits_whoever_thanked_first_in_the_week() -> None:
    store, seed = await seeded("Ann", "Ben", "Cat")
    await seed.kudos("ben", "ann", at=WEEK_START + H)  # ben first
    await seed.kudos("ann", "ben", "cat", at=WEEK_START + 2 * H)  # ann returns, and thanks cat
    await seed.kudos("ben", "ann", at=WEEK_START + 3 * H)  # again: still one person for ben
    givers = (await build(store)).digest.givers
    assert givers == (GiverLine("Ben", 1, first_time=True), GiverLine("Ann", 1, first_time=True))


async def test_a_returned_thanks_from_before_the_week_is_not_a_mutual_pair() -> None:
    store, seed = await seeded("Ann", "Ben")
    await seed.kudos("ben", "ann", at=WEEK_START - H)
    await seed.kudos("ann", "ben", at=WEEK_START + H)
    assert (await build(store)).digest.givers == (GiverLine("Ann", 1, first_time=True),)


async def test_the_givers_list_is_capped_and_ties_go_to_who_thanked_first() -> None:
    names = [f"Giver{i:02d}" for i in range(MAX_GIVERS + 2)]
    store, seed = await seeded(*names, "Target")
    for i, name in enumerate(reversed(names)):
        await seed.kudos(name.lower(), "target", at=WEEK_START + i * H)
    givers = (await build(store)).digest.givers
    assert len(givers) == MAX_GIVERS
    assert [g.name for g in givers] == list(reversed(names))[:MAX_GIVERS]


async def test_offers_of_opted_out_owners_are_skipped_however_many_come_first() -> None:
    store, seed = await seeded("Alice", "Bob")
    opted_out = [f"Quiet{i}" for i in range(25)]
    await seed.members(*opted_out, opted_out=True)
    for name in opted_out:
        await seed.offer(name.lower(), f"{name} helps", at=DUE - 2 * H)
    await seed.offer("alice", "I can pair on Rust", at=DUE - 10 * H)
    for i in range(3):
        await seed.kudos("bob", "alice", at=DUE - H + i * timedelta(minutes=1))
    offers = (await build(store)).digest.offers
    assert [(o.owner_name, o.text) for o in offers] == [("Alice", "I can pair on Rust")]
