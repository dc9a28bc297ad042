"""Tenant isolation, property-based: Hypothesis fills two Slack workspaces, two Discord guilds
and a console community on one database (SQLite, then PostgreSQL) with kudos, offers,
opt-outs, forgets, prompts and hides. Afterwards no command, export, stat or digest of one
community shows a row of another, and each member's rows in each community are exactly
what was done there (so `forget` in one left the others untouched).

Every community's words carry its own marker; the same people (same user ids) are in both
workspaces and both guilds.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.isolation.world import Community, Tenants, exported_ids, stored_kudos, tenants

KINDS = ("kudos", "kudos", "kudos", "offer", "optout", "forget", "prompt", "hide")
operations = st.lists(
    st.tuples(
        st.integers(0, 4),  # community
        st.sampled_from(KINDS),
        st.integers(0, 3),  # who
        st.integers(0, 3),  # whom (a kudos) or which kudos (a hide)
    ),
    min_size=6,
    max_size=16,
)
EXAMPLES = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=8,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[Tenants]:
    async with tenants(database_url) as opened:
        yield opened


Key = tuple[str, str]  # (community id, member id)


@dataclass
class Model:
    """What each member should have in each community, from the commands that succeeded."""

    given: Counter[Key] = field(default_factory=Counter)
    received: Counter[Key] = field(default_factory=Counter)
    offers: Counter[Key] = field(default_factory=Counter)
    kudos: dict[str, set[int]] = field(default_factory=dict)
    hidden: dict[str, set[int]] = field(default_factory=dict)


def succeeded(world: Tenants, command: str) -> bool:
    outcomes = dict(world.outcomes())
    assert "error" not in outcomes.values() and "unavailable" not in outcomes.values()
    return outcomes.get(command) == "ok"


async def run(
    world: Tenants, model: Model, c: Community, marker: str, op: tuple[int, str, int, int]
) -> None:
    _, kind, who, whom = op
    me = c.people[who]
    seq = sum(len(v) for v in model.kudos.values())
    if kind == "kudos":
        whom = (who + 1) % 4 if whom == who else whom
        await world.say(c, who, f"/kudos @{whom} for the help with {marker} number {seq}")
        if succeeded(world, "GiveKudos"):
            model.given[(c.id, me)] += 1
            model.received[(c.id, c.people[whom])] += 1
            [latest] = (await stored_kudos(world.store, c.id))[:1]
            assert latest.id is not None
            model.kudos.setdefault(c.id, set()).add(latest.id)
    elif kind == "offer":
        await world.say(c, who, f"/offer I can pair on {marker} topics, ask me {seq}")
        if succeeded(world, "CreateOffer"):
            model.offers[(c.id, me)] += 1
    elif kind == "optout":
        await world.say(c, who, "/connections optout")
        assert succeeded(world, "OptOut")
    elif kind == "forget":
        await world.say(c, who, "/connections forget confirm")
        assert succeeded(world, "ForgetMe")
        for counter in (model.given, model.received, model.offers):
            counter[(c.id, me)] = 0
    elif kind == "prompt":
        await world.say(c, None, f"/connections admin prompt add Review a {marker} change {seq}")
        world.outcomes()
    else:  # hide a kudos: of this community, or (a refusal) of another
        every = sorted(i for ids in model.kudos.values() for i in ids)
        if not every:
            return
        target = every[whom % len(every)]
        await world.say(c, None, f"/connections admin hide {target}")
        hid = succeeded(world, "HideKudos")
        assert hid == (target in model.kudos.get(c.id, set())), f"hide #{target} in {c.id}"
        if hid:
            model.hidden.setdefault(c.id, set()).add(target)


def foreign(text: str, markers: dict[str, str], own: str) -> list[str]:
    return [m for cid, m in markers.items() if cid != own and m in text]


async def check_rows(world: Tenants, model: Model, communities: list[Community]) -> None:
    for c in communities:
        stored = await stored_kudos(world.store, c.id)
        assert {k.id for k in stored} == model.kudos.get(c.id, set()), c.id
        assert {k.id for k in stored if k.hidden} == model.hidden.get(c.id, set()), c.id
        async with world.store.uow() as uow:
            for member in c.people:
                key = (c.id, member)
                given = await uow.kudos.given_by(c.id, member)
                received = await uow.kudos.received_by(c.id, member)
                offers = await uow.offers.owned_by(c.id, member)
                assert len(given) == model.given[key], key
                assert len(received) == model.received[key], key
                assert len(offers) == model.offers[key], key


async def check_outputs(
    world: Tenants, model: Model, communities: list[Community], markers: dict[str, str]
) -> None:
    for c in communities:
        own = model.kudos.get(c.id, set())
        shown: list[str] = []
        for who in (0, 1):
            shown.append((await world.say(c, who, "/connections me")).shown)
            export = await world.say(c, who, "/connections export")
            kudos_ids, _ = exported_ids(export.file)
            assert kudos_ids <= own, (c.id, kudos_ids - own)
            shown.append(export.shown + (export.file or b"").decode())
        shown.append((await world.say(c, 0, "/offer list")).shown)
        shown.append((await world.say(c, None, "/connections admin prompt list")).shown)
        shown.append((await world.say(c, None, "/connections admin digest preview")).shown)
        recent = await world.say(c, None, "/connections admin recent")
        assert {int(i) for i in re.findall(r"#(\d+) ", recent.text)} <= own, recent.text
        shown.append(recent.shown)
        stats = await world.say(c, None, "/connections admin stats")
        weekly = re.findall(r" · (\d+) · \d+ · ", stats.text)
        assert sum(int(n) for n in weekly) == len(own), (c.id, stats.text)
        world.outcomes()
        leaks = [m for text in shown for m in foreign(text, markers, c.id)]
        assert not leaks, f"{c.id} shows rows of {leaks}"


@given(ops=operations)
@EXAMPLES
async def test_no_community_ever_shows_or_changes_another(
    world: Tenants, ops: list[tuple[int, str, int, int]]
) -> None:
    communities = await world.new_communities()
    markers = {c.id: f"zq{c.id.replace(':', '')}zq" for c in communities}
    model = Model()
    world.outcomes()

    for op in ops:
        community = communities[op[0]]
        await run(world, model, community, markers[community.id], op)

    print(
        "EXAMPLE",
        len(ops),
        {k: len(v) for k, v in model.kudos.items()},
        model.hidden,
        sum(model.offers.values()),
    )
    await check_rows(world, model, communities)
    await check_outputs(world, model, communities, markers)
