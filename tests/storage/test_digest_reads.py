"""The digest's lean reads (one row per receiver, names and reasons only for what it shows)
build the very digest the plain reading of the kudos built, on SQLite and PostgreSQL and on
the in-memory fakes: checked against that earlier build, kept here as the reference, over
generated histories full of the awkward cases (repeats, mutual thanks at one instant,
hidden and erased kudos, boundaries to the microsecond, many stories to choose from)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from alembic import command
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from bot.analytics import RETURN_WINDOW, ThanksIndex, one_way_share
from bot.bootstrap import Store
from bot.digest.builder import MAX_GIVERS, MAX_STORIES, NameBook, build_digest
from bot.digest.damping import damp_repeats
from bot.digest.model import Digest, GiverLine, Story
from bot.domain import FORGOTTEN_MEMBER, Community, Kudos, Member, MemberId
from bot.ports import UnitOfWork, UnitOfWorkFactory
from storage.migrate import alembic_config, upgrade
from tests.digest.support import DUE, WEEK_START
from tests.fakes import FakeStore

H = timedelta(hours=1)
D = timedelta(days=1)
US = timedelta(microseconds=1)
SEEDS = (1, 2, 3, 4)


@dataclass(frozen=True)
class Sections:
    """The parts of a digest built from the kudos (offers and prompt read nothing new)."""

    kudos: int
    givers: int
    receivers: int
    unprompted: int
    one_way_share: float | None
    stories: tuple[Story, ...]
    giver_lines: tuple[GiverLine, ...]


def sections(d: Digest) -> Sections:
    return Sections(
        d.kudos_count,
        d.givers_count,
        d.receivers_count,
        d.unprompted_count,
        d.one_way_share,
        d.stories,
        d.givers,
    )


async def reference(uow: UnitOfWork, community_id: str) -> Sections:
    """The digest as the builder made it before its reads were narrowed: every kudos of the
    three weeks read whole, damped, then counted."""
    history = damp_repeats(
        k
        for k in await uow.kudos.between(community_id, WEEK_START - RETURN_WINDOW, DUE)
        if not k.hidden
    )
    week = [k for k in history if k.created_at >= WEEK_START]
    first: dict[tuple[MemberId, MemberId], tuple[datetime, int]] = {}
    started: dict[MemberId, datetime] = {}
    for k in week:
        if k.giver_id == FORGOTTEN_MEMBER:
            continue
        started[k.giver_id] = min(started.get(k.giver_id, k.created_at), k.created_at)
        for r in k.recipient_ids:
            if (k.giver_id, r) not in first or (k.created_at, k.id or 0) < first[k.giver_id, r]:
                first[k.giver_id, r] = (k.created_at, k.id or 0)
    people: dict[MemberId, int] = {}
    for (giver, receiver), when in first.items():
        returned = first.get((receiver, giver))
        if returned is None or returned >= when:
            people[giver] = people.get(giver, 0) + 1
    returning = await uow.kudos.givers_before(community_id, sorted(people), WEEK_START)
    ranked = sorted(
        people,
        key=lambda g: (g in returning, -people[g], started[g], g),
    )
    names = NameBook(uow, community_id)
    await names.load(ranked)
    await names.load(p for k in week for p in (k.giver_id, *k.recipient_ids))
    giver_lines = [
        GiverLine(name, people[g], g not in returning)
        for g in ranked
        if (name := names.name_of(g)) is not None
    ][:MAX_GIVERS]

    candidates: list[tuple[Kudos, str, tuple[tuple[str, str], ...]]] = []
    for k in week:
        giver_name = names.name_of(k.giver_id)
        if not k.unprompted or not k.reason.strip() or giver_name is None:
            continue
        named = tuple((r, n) for r in k.recipient_ids if (n := names.name_of(r)) is not None)
        if named:
            candidates.append((k, giver_name, named))
    featured: set[str] = set()
    stories: list[Story] = []
    while candidates and len(stories) < MAX_STORIES:
        overlaps = [
            len({k.giver_id, *(r for r, _ in named)} & featured) for k, _, named in candidates
        ]
        k, giver_name, named = candidates.pop(overlaps.index(min(overlaps)))
        stories.append(Story(giver_name, tuple(n for _, n in named), k.reason))
        featured |= {k.giver_id, *(r for r, _ in named)}

    return Sections(
        kudos=len(week),
        givers=len({k.giver_id for k in week} - {FORGOTTEN_MEMBER}),
        receivers=len({r for k in week for r in k.recipient_ids} - {FORGOTTEN_MEMBER}),
        unprompted=sum(1 for k in week if k.unprompted),
        one_way_share=one_way_share(week, ThanksIndex(history)),
        stories=tuple(stories),
        giver_lines=tuple(giver_lines),
    )


def history(seed: int, community_id: str) -> tuple[list[Member], list[Kudos], list[MemberId]]:
    """Members, kudos oldest-added first, and who is then forgotten, for one community."""
    rng = random.Random(seed)
    named = [f"m{i}" for i in range(14)]
    members = [Member(community_id, m, f"Member {m}") for m in named]
    members += [
        Member(community_id, "shy", "Shy", opted_out=True),
        Member(community_id, "robot", "Robot", is_bot=True),
        Member(community_id, "blank", "   "),
    ]
    everyone = [*named, "shy", "robot", "blank", "stranger"]  # strangers have no member row
    kudos: list[Kudos] = []

    def add(giver: str, *to: str, at: datetime, unprompted: bool = True, **extra: object) -> None:
        kudos.append(
            Kudos(
                community_id,
                giver,
                to,
                str(extra.get("reason", f"for help number {len(kudos)}")),
                (),
                unprompted,
                at,
                hidden=bool(extra.get("hidden", False)),
            )
        )

    # Spread over the three weeks the digest reads and a little around them.
    start = WEEK_START - RETURN_WINDOW - 3 * D
    for _ in range(320):
        giver = rng.choice(everyone)
        to = rng.sample([p for p in everyone if p != giver], rng.choice((1, 1, 1, 2, 3)))
        at = start + timedelta(minutes=rng.randrange(int((DUE + D - start) / timedelta(minutes=1))))
        add(giver, *to, at=at, unprompted=rng.random() < 0.6, hidden=rng.random() < 0.08)
    # Repeats: counted again only a day after the last counted one, across the week's start.
    for offset in (-30 * H, -6 * H, 0 * H, 17 * H, 23 * H, 24 * H - US, 24 * H, 47 * H, 48 * H):
        add("m1", "m2", at=WEEK_START + offset)
    for offset in (0 * H, 2 * H, 3 * H):  # one receiver repeated, the other new
        add("m3", "m4", rng.choice(("m5", "m6", "m7")), at=WEEK_START + 2 * D + offset)
    # Mutual thanks at the very same instant, and a pair thanking itself back within a day.
    add("m8", "m9", at=WEEK_START + 3 * D)
    add("m9", "m8", at=WEEK_START + 3 * D)
    add("m9", "m8", at=WEEK_START + 3 * D + H)
    # Returns exactly at, and a microsecond past, the 14-day window.
    add("m10", "m11", at=WEEK_START + D - RETURN_WINDOW)
    add("m11", "m10", at=WEEK_START + D)
    add("m12", "m13", at=WEEK_START + 2 * D - RETURN_WINDOW - US)
    add("m13", "m12", at=WEEK_START + 2 * D)
    # The week's edges: its first instant is in, its end is out.
    add("m2", "m3", at=WEEK_START)
    add("m4", "m5", at=DUE)
    add("m5", "m6", at=WEEK_START - US)
    # What the service never writes, but the store holds: a blank reason, no receiver, oneself.
    add("m6", "m7", at=WEEK_START + 4 * D, reason="   ")
    add("m7", at=WEEK_START + 4 * D + H)
    add("m0", "m0", at=WEEK_START + 5 * D)
    add("m0", "m0", at=WEEK_START + 5 * D + 2 * H)
    # Hidden ones, one of them the only earlier kudos of its giver.
    add("stranger", "m1", at=WEEK_START - 20 * D, hidden=True)
    add("stranger", "m2", at=WEEK_START + D)
    rng.shuffle(kudos)  # ids do not follow time: ties at one instant are broken by id
    return members, kudos, rng.sample(named, 2)


async def seed(uow_factory: UnitOfWorkFactory, seed_number: int, community_id: str) -> None:
    members, kudos, forgotten = history(seed_number, community_id)
    async with uow_factory() as uow:
        await uow.communities.save(Community(community_id))
        for member in members:
            await uow.members.save(member)
        for k in kudos:
            await uow.kudos.add(k)
        for member_id in forgotten:
            await uow.kudos.erase_member(community_id, member_id, FORGOTTEN_MEMBER)
            await uow.members.delete(community_id, member_id)
        await uow.commit()


async def built(uow_factory: UnitOfWorkFactory, community_id: str) -> tuple[Sections, Sections]:
    async with uow_factory() as uow:
        community = await uow.communities.get(community_id)
        assert community is not None
        new = (await build_digest(uow, community, WEEK_START, DUE)).digest
        old = await reference(uow, community_id)
    return sections(new), old


async def test_the_digest_is_the_one_the_whole_kudos_gave(store: Store) -> None:
    fakes = FakeStore()
    for n in SEEDS:
        community_id = f"console:seed{n}"
        await seed(store.uow, n, community_id)
        await seed(fakes.uow, n, community_id)

        new, old = await built(store.uow, community_id)
        on_fakes, old_on_fakes = await built(fakes.uow, community_id)

        assert new == old, f"seed {n}"
        assert on_fakes == old_on_fakes == old, f"seed {n}"
        # The history holds what the digest must get right: repeats to drop, more unprompted
        # kudos than the builder reads at once, full sections.
        _, kudos, _ = history(n, community_id)
        visible = [k for k in kudos if WEEK_START <= k.created_at < DUE and not k.hidden]
        assert len(visible) > old.kudos and old.unprompted > 50
        assert len(old.stories) == MAX_STORIES and len(old.giver_lines) == MAX_GIVERS
        assert old.one_way_share is not None and 0 < old.one_way_share < 1


async def test_thanks_are_read_one_row_per_receiver_without_hidden_kudos(store: Store) -> None:
    fakes = FakeStore()
    for factory in (store.uow, fakes.uow):
        async with factory() as uow:
            for at, giver, to, hidden in (
                (WEEK_START + H, "alice", ("bob", "carol"), False),
                (WEEK_START, "dave", ("erin",), True),
                (WEEK_START, "bob", ("alice",), False),
                (WEEK_START + 2 * H, "carol", (), False),
                (DUE, "erin", ("dave",), False),
            ):
                await uow.kudos.add(
                    Kudos(
                        "console:t",
                        giver,
                        to,
                        "for the help",
                        (),
                        giver == "bob",
                        at,
                        hidden=hidden,
                    )
                )
            await uow.kudos.add(
                Kudos("console:u", "zed", ("bob",), "elsewhere", (), False, WEEK_START)
            )
            await uow.commit()
        async with factory() as uow:
            rows = await uow.kudos.thanks_between("console:t", WEEK_START, DUE)
            stored = await uow.kudos.many("console:t", [1, 3, 6, 99])
        # Ordered by time then id; a kudos' receivers in any order; one naming nobody kept.
        rows = sorted(rows, key=lambda r: (r[3], r[0], r[2] or ""))
        assert rows == [
            (3, "bob", "alice", WEEK_START, True),
            (1, "alice", "bob", WEEK_START + H, False),
            (1, "alice", "carol", WEEK_START + H, False),
            (4, "carol", None, WEEK_START + 2 * H, False),
        ]
        assert sorted(stored) == [1, 3]  # another community's kudos and unknown ids: left out
        assert stored[1].recipient_ids == ("bob", "carol") and stored[1].reason == "for the help"


async def test_migration_0004_adds_and_drops_the_receivers_date_index(database_url: str) -> None:
    engine = create_async_engine(database_url)

    async def indexes() -> set[str]:
        async with engine.connect() as connection:
            found = await connection.run_sync(
                lambda sync: inspect(sync).get_indexes("kudos_recipients")
            )
        return {str(i["name"]) for i in found}

    try:
        await upgrade(engine)
        assert "ix_kudos_recipients_community_created" in await indexes()
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0003"))
        assert "ix_kudos_recipients_community_created" not in await indexes()
        assert "ix_kudos_recipients_member" in await indexes()
        await upgrade(engine)
        assert "ix_kudos_recipients_community_created" in await indexes()
    finally:
        await engine.dispose()
