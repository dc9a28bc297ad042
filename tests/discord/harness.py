"""The real bot (discord.py client, core, store) connected to the fake Discord."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from adapters.discord.app import DiscordRuntime, create_runtime
from bot.bootstrap import Store, build_service
from bot.domain import Community
from tests.discord.fake_discord import (
    ADMIN_PERMISSIONS,
    APP_ID,
    SEND_MESSAGES,
    Channel,
    FakeDiscord,
    Guild,
    Request,
    User,
)

TOKEN = "fake-bot-token.MTIzNDU2Nzg5.secret-part-never-logged"
START_TIMEOUT = 5.0


@dataclass
class World:
    guild: Guild
    admin: User  # has Manage Server
    alice: User
    bob: User
    carol: User
    dave: User
    helper_bot: User
    general: Channel
    quiet: Channel  # the bot may not post here
    outsider: User  # known to Discord, not a member of the guild

    @property
    def community_id(self) -> str:
        return f"discord:{self.guild.id}"


def make_world(fake: FakeDiscord) -> World:
    admin = User(id=100000000000000001, name="Ada Admin", permissions=ADMIN_PERMISSIONS)
    alice = User(id=100000000000000002, name="Alice")
    bob = User(id=100000000000000003, name="Bob")
    carol = User(id=100000000000000004, name="Carol")
    dave = User(id=100000000000000005, name="Dave")
    helper = User(id=100000000000000006, name="Helper Bot", bot=True)
    general = Channel(id=300000000000000001, name="general")
    quiet = Channel(id=300000000000000002, name="quiet", denied_to_everyone=SEND_MESSAGES)
    guild = fake.add_guild(
        Guild(
            id=200000000000000001,
            name="Test *Server*",
            members=[admin, alice, bob, carol, dave, helper],
            channels=[general, quiet],
        )
    )
    fake.forbidden_channels.add(quiet.id)
    return World(
        guild=guild,
        admin=admin,
        alice=alice,
        bob=bob,
        carol=carol,
        dave=dave,
        helper_bot=helper,
        general=general,
        quiet=quiet,
        outsider=User(id=100000000000000099, name="Outsider"),
    )


def build_runtime(fake: FakeDiscord, store: Store, shards: str | None = None) -> DiscordRuntime:
    return create_runtime(
        token=TOKEN,
        uow=store.uow,
        build_service=lambda directory, notifier: build_service(store, directory, notifier),
        shards=shards,
        api_base_url=fake.api_url,
        gateway_url=fake.gateway_url,
        # Without it, the client waits 2 s for guilds that will never come.
        client_options={"guild_ready_timeout": 0.1},
    )


@dataclass
class Bot:
    fake: FakeDiscord
    store: Store
    runtime: DiscordRuntime
    world: World

    async def interact(
        self, user: User, data: dict[str, Any], *, kind: int = 2, channel: Channel | None = None
    ) -> dict[str, Any]:
        payload = self.fake.interaction(self.world.guild, user, data, kind=kind, channel=channel)
        await self.fake.send_interaction(payload)
        return payload

    async def callback(self, payload: dict[str, Any]) -> Request:
        return await self.fake.wait_for(
            lambda r: r.path == f"/interactions/{payload['id']}/{payload['token']}/callback"
        )

    async def followups(self, payload: dict[str, Any], count: int = 1) -> list[Request]:
        """The first `count` follow-up messages of a (deferred) interaction."""
        path = f"/webhooks/{APP_ID}/{payload['token']}"

        def mine() -> list[Request]:
            return [r for r in self.fake.requests if r.method == "POST" and r.path == path]

        await self.fake.wait_until(lambda: len(mine()) >= count)
        return mine()[:count]

    async def reply(self, payload: dict[str, Any]) -> Request:
        """The private answer to a command: deferred ephemerally, then one follow-up."""
        callback = await self.callback(payload)
        assert callback.json["type"] == 5, callback.json  # deferred, "thinking"
        assert callback.json["data"]["flags"] & 64  # ephemeral
        (answer,) = await self.followups(payload)
        return answer

    async def reply_text(self, user: User, data: dict[str, Any]) -> str:
        answer = await self.reply(await self.interact(user, data))
        assert answer.json["flags"] & 64, answer.json  # ephemeral
        assert answer.json["allowed_mentions"] == {"parse": []}, answer.json
        return str(answer.json["content"])

    async def channel_posts(self, channel: Channel, count: int = 1) -> list[Request]:
        path = f"/channels/{channel.id}/messages"
        await self.fake.wait_until(lambda: len(self.fake.calls("POST", path)) >= count)
        return self.fake.calls("POST", path)

    async def community(self) -> Community | None:
        async with self.store.uow() as uow:
            return await uow.communities.get(self.world.community_id)


@contextlib.asynccontextmanager
async def running(runtime: DiscordRuntime) -> AsyncIterator[asyncio.Task[None]]:
    """The bot serving (start(), in this loop) until the block ends; then cancelled."""
    task = asyncio.create_task(runtime.serve())
    try:
        ready = asyncio.create_task(runtime.client.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, task}, timeout=START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()  # raises why serving stopped
            raise TimeoutError("the Discord client did not become ready")
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=START_TIMEOUT)
