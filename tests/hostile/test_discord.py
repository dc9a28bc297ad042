"""Every corpus input in every typed option of the real discord.py client (connected to the
fake Discord), and interactions with wrong option types, unknown ids and bad shapes: a clear
private answer, no crash, nothing stored when refused, and every message the bot sends
parses no @everyone, @here or role, pinging at most the members picked in the options."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from storage import tables as t
from tests.discord import payloads as p
from tests.discord.fake_discord import APP_ID, Channel, Request, User
from tests.hostile.checks import check_clear, check_outcomes
from tests.hostile.conftest import DiscordHostile
from tests.hostile.corpus import Entry, discord_entries, text_entries

pytestmark = pytest.mark.asyncio(loop_scope="module")

ENTRIES = text_entries()
INTERACTIONS = discord_entries()
THANK_FORM = "smart-connections:thank:"
MODAL_SUBMIT = 5
REASON = "for the help with the release script"

# (what, data builder, sent by an admin): the input `x` in each typed option that takes text.
Build = Callable[[str, User], dict[str, Any]]


def _kudos(*options: dict[str, Any], to: User) -> dict[str, Any]:
    return p.slash("kudos", *options, resolved_data=p.resolved(members=[to]))


def _admin(group: str, name: str, *options: dict[str, Any]) -> dict[str, Any]:
    return p.slash("connections-admin", p.group(group, p.subcommand(name, *options)))


TEMPLATES: list[tuple[str, Build, bool]] = [
    (
        "/kudos reason:x",
        lambda x, to: _kudos(p.member("member", to), p.text("reason", x), to=to),
        False,
    ),
    (
        "/kudos values:x",
        lambda x, to: _kudos(
            p.member("member", to), p.text("reason", REASON), p.text("values", x), to=to
        ),
        False,
    ),
    (
        "/offer add text:x",
        lambda x, to: p.slash("offer", p.subcommand("add", p.text("text", x))),
        False,
    ),
    (
        "/offer list search:x",
        lambda x, to: p.slash("offer", p.subcommand("list", p.text("search", x))),
        False,
    ),
    (
        "/connections-admin prompt add text:x",
        lambda x, to: _admin("prompt", "add", p.text("text", x)),
        True,
    ),
    (
        "/connections-admin digest schedule time:x",
        lambda x, to: _admin("digest", "schedule", p.number("day", 0), p.text("time", x)),
        True,
    ),
    (
        "/connections-admin digest schedule timezone:x",
        lambda x, to: _admin(
            "digest", "schedule", p.number("day", 0), p.text("time", "09:00"), p.text("timezone", x)
        ),
        True,
    ),
    (
        "Thank this member form reason:x values:x",
        lambda x, to: p.form_submit(f"{THANK_FORM}{to.id}", reason=x, values=x),
        False,
    ),
]


def _messages(requests: list[Request]) -> list[Request]:
    """Every request by which the bot says something (callbacks with content included)."""
    said = []
    for r in requests:
        if r.method not in ("POST", "PATCH") or not isinstance(r.json, dict):
            continue
        if r.path.endswith("/callback"):
            if r.json.get("type") == 4:
                said.append(Request(r.method, r.path, r.query, r.json.get("data") or {}))
        elif r.path.startswith(("/webhooks/", "/channels/")):
            said.append(r)
    return said


def check_mentions(requests: list[Request], intended: set[int], what: str) -> None:
    for r in _messages(requests):
        allowed = r.json.get("allowed_mentions")
        assert allowed is not None, f"{what}: {r.path} has no allowed_mentions: Discord parses all"
        parsed = set(allowed.get("parse", []))
        assert not parsed & {"everyone", "roles"}, f"{what}: {r.path} parses {parsed}"
        if "users" in parsed:
            raise AssertionError(f"{what}: {r.path} parses every user mention")
        pinged = {int(u) for u in allowed.get("users", [])}
        assert pinged <= intended, f"{what}: {r.path} pings {pinged - intended}"


async def _answer(world: DiscordHostile, payload: dict[str, Any], what: str) -> str:
    """The private answer: an immediate reply, or the first follow-up of a deferred one."""
    fake = world.fake
    callback_path = f"/interactions/{payload['id']}/{payload['token']}/callback"
    callback = await fake.wait_for(lambda r: r.path == callback_path, within=10)
    assert callback.json["data"]["flags"] & 64, f"{what}: not ephemeral"
    if callback.json["type"] == 4:
        return str(callback.json["data"].get("content") or "")
    assert callback.json["type"] == 5, f"{what}: {callback.json}"
    webhook = f"/webhooks/{APP_ID}/{payload['token']}"
    followup = await fake.wait_for(lambda r: r.method == "POST" and r.path == webhook, within=10)
    assert followup.json["flags"] & 64, f"{what}: not ephemeral"
    return str(followup.json.get("content") or "")


async def _interact(
    world: DiscordHostile,
    user: User,
    data: dict[str, Any],
    what: str,
    kind: int = 2,
    channel: Channel | None = None,
) -> str:
    payload = world.fake.interaction(world.world.guild, user, data, kind=kind, channel=channel)
    await world.fake.send_interaction(payload)
    return await _answer(world, payload, what)


def _belonging_to(world: DiscordHostile, channel: Channel, start: int) -> list[Request]:
    """What the bot sent since `start` about one input: its answers (its interactions' tokens
    appear nowhere else) and its posts in the input's own channel."""
    mine = f"/channels/{channel.id}/"
    return [
        r
        for r in world.fake.requests[start:]
        if r.path.startswith(("/webhooks/", "/interactions/", mine))
    ]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
async def test_each_typed_option_answers_clearly_and_pings_nobody_else(
    discord_hostile: DiscordHostile, entry: Entry
) -> None:
    world, observed = discord_hostile, discord_hostile.observed
    index = ENTRIES.index(entry)
    to, channel = world.thanked[index], world.channels[index]
    start = len(world.fake.requests)
    for name, build, admin in TEMPLATES:
        what = f"{name} with {entry.id}"
        user = world.world.admin if admin else world.givers[index]
        kind = MODAL_SUBMIT if name.startswith("Thank") else 2
        observed.commits.changed()

        text = await _interact(world, user, build(entry.text, to), what, kind, channel)

        check_clear(text, what)
        if check_outcomes(observed.metrics.take(), what):
            assert not observed.commits.changed(), f"{what}: refused, yet something was stored"
    check_mentions(_belonging_to(world, channel, start), {to.id}, entry.id)


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return str(ids[value[1:]])
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("entry", INTERACTIONS, ids=[e.id for e in INTERACTIONS])
async def test_malformed_interactions_get_a_clear_answer(
    discord_hostile: DiscordHostile, entry: Entry
) -> None:
    world, observed = discord_hostile, discord_hostile.observed
    w = world.world
    people = {
        "alice": w.alice,
        "bob": w.bob,
        "helper_bot": w.helper_bot,
        "outsider": w.outsider,
    }
    ids = {name: user.id for name, user in people.items()} | {"guild": w.guild.id}
    raw = dict(entry.raw["data"])
    listed = raw.pop("resolved_members")
    members = [people[n[1:]] for n in listed if not n.startswith("!")]
    outsiders = [people[n[2:]] for n in listed if n.startswith("!")]
    data = {"id": p.COMMAND_ID, **_fill(raw, ids), "resolved": p.resolved(members, outsiders)}
    user = w.admin if entry.raw.get("admin") else w.alice
    channel = world.channels[INTERACTIONS.index(entry)]
    start = len(world.fake.requests)
    observed.commits.changed()
    observed.metrics.take()

    text = await _interact(world, user, data, entry.id, channel=channel)

    check_clear(text, entry.id)
    outcomes = observed.metrics.take()
    if not outcomes or check_outcomes(outcomes, entry.id):
        assert not observed.commits.changed(), f"{entry.id}: refused, yet something was stored"
    check_mentions(_belonging_to(world, channel, start), {m.id for m in members}, entry.id)


async def test_every_message_the_bot_sent_pings_only_people_it_thanked(
    discord_hostile: DiscordHostile,
) -> None:
    """Once the DMs and thank-yous started meanwhile have gone out."""
    world = discord_hostile
    async with world.observed.store.engine.connect() as connection:
        thanked = {
            int(r) for r in await connection.scalars(select(t.kudos_recipients.c.recipient_id))
        }
    assert thanked, "no input was accepted: the corpus would test nothing but refusals"
    await asyncio.sleep(0.5)  # the last DMs (they go out in the background)
    check_mentions(world.fake.requests, thanked, "everything sent")
    dms = world.fake.direct_messages()
    assert dms, "nobody thanked got a DM"
    for _, request in dms:
        assert request.json["allowed_mentions"] == {"parse": []}
