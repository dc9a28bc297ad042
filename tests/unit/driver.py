"""Drives the core the way a member does: typed text through the real parser into the
service, over the fakes. Assertions read what the fake store has committed."""

from __future__ import annotations

from bot.commands import Command
from bot.domain import Actor, AuditEntry, Community, Kudos, Member, Offer, Prompt
from bot.parsing import CONSOLE_SYNTAX, parse_connections, parse_kudos, parse_offer
from bot.replies import Reply
from bot.service import ConnectionsService
from tests.fakes import FakeWorld

COMMUNITY = "console:test"
PEOPLE = (
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "oscar",
)


def standard_world() -> FakeWorld:
    """Twelve people, a bot, a member with a non-ASCII name and a workspace admin."""
    world = FakeWorld()
    for name in PEOPLE:
        world.directory.add(name)
    world.directory.add("zoë", "Zoë")
    world.directory.add("helperbot", "Helper Bot", is_bot=True)
    world.directory.add("ada", "Ada", is_platform_admin=True)
    return world


class Chat:
    def __init__(self, world: FakeWorld, community_id: str = COMMUNITY) -> None:
        self.world = world
        self.community_id = community_id
        self.service = ConnectionsService(world.ports())

    def actor(self, who: str) -> Actor:
        info = self.world.directory.users.get(who)
        return Actor(
            community_id=self.community_id,
            member_id=who,
            display_name=info.display_name if info else who,
            is_platform_admin=bool(info and info.is_platform_admin),
        )

    async def send(self, who: str, command: Command) -> Reply:
        return await self.service.handle(self.actor(who), command)

    async def kudos(self, who: str, text: str, delivery_id: str | None = None) -> Reply:
        """`/kudos <text>`"""
        return await self.send(who, parse_kudos(text, CONSOLE_SYNTAX, delivery_id))

    async def offer(self, who: str, text: str, delivery_id: str | None = None) -> Reply:
        """`/offer <text>`"""
        return await self.send(who, parse_offer(text, delivery_id))

    async def connections(self, who: str, text: str) -> Reply:
        """`/connections <text>`"""
        return await self.send(who, parse_connections(text, CONSOLE_SYNTAX))

    async def admin(self, who: str, text: str) -> Reply:
        """`/connections admin <text>`"""
        return await self.connections(who, f"admin {text}")

    # What the store has committed, in this community.
    def stored_kudos(self) -> list[Kudos]:
        return sorted(self.world.store.kudos(self.community_id), key=lambda k: k.id or 0)

    def stored_offers(self) -> list[Offer]:
        return sorted(self.world.store.offers(self.community_id), key=lambda o: o.id or 0)

    def audit(self) -> list[AuditEntry]:
        return sorted(self.world.store.audit(self.community_id), key=lambda a: a.id or 0)

    def prompts(self) -> list[Prompt]:
        prompts = self.world.store.state.prompts.values()
        return [p for p in prompts if p.community_id == self.community_id]

    def community(self) -> Community | None:
        return self.world.store.state.communities.get(self.community_id)

    def member(self, member_id: str) -> Member | None:
        return self.world.store.state.members.get((self.community_id, member_id))


def assert_refused(reply: Reply, *expected: str) -> None:
    """A refusal a person can act on: not ok, plain words, and each `expected` phrase."""
    assert not reply.ok, reply.text
    assert reply.announcement is None and reply.attachment is None
    assert 10 < len(reply.text) < 1000, reply.text
    assert "Traceback" not in reply.text and "Error" not in reply.text, reply.text
    for phrase in expected:
        assert phrase.lower() in reply.text.lower(), (phrase, reply.text)
