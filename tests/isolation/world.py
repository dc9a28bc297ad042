"""Five communities on one database, each reached the way its members reach it: two Slack
workspaces (signed HTTP into the real bolt app), two Discord guilds (the real discord.py
client on the fake gateway) and a console community (the real console session).

The same people are in both workspaces and in both guilds (one Slack user id, one Discord
user id), so a row that lands in, or is erased from, the wrong community shows.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from adapters.console.directory import ConsoleDirectory
from adapters.console.notifier import ConsoleNotifier
from adapters.console.session import ConsoleSession
from adapters.slack.runtime import SlackRuntime
from bot.bootstrap import Store, build_service, open_store
from bot.domain import Kudos
from bot.service import ConnectionsService
from tests.discord import payloads as p
from tests.discord.fake_discord import ADMIN_PERMISSIONS, APP_ID, Channel, FakeDiscord, Guild, User
from tests.discord.harness import TOKEN, build_runtime
from tests.discord.harness import running as discord_running
from tests.hostile.checks import RecordingMetrics
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import SlackDriver, settings_for
from tests.slack.harness import running as slack_running

WAIT = 10.0
SLACK_PEOPLE = ("UALICE", "UBOB", "UCAROL", "UDAVE")
SLACK_ADMIN = "UADMIN"
DISCORD_PEOPLE = tuple(
    User(id=150000000000000001 + i, name=n) for i, n in enumerate(("Alice", "Bob", "Carol", "Dave"))
)
DISCORD_ADMIN = User(id=150000000000000009, name="Ada Admin", permissions=ADMIN_PERMISSIONS)
CONSOLE_PEOPLE = ("alice", "bob", "carol", "dave")
_ids = itertools.count(1)


@dataclass
class Said:
    """What a member was told: the text, everything shown with it (blocks, embeds) and the
    file that came with it (an export)."""

    text: str
    shown: str
    file: bytes | None = None


@dataclass
class Community:
    """One tenant: its id, how to reach it, and its members' ids there."""

    id: str
    platform: str  # "slack" | "discord" | "console"
    people: tuple[str, ...]
    handle: str  # Slack team id, Discord guild id, console community id
    guild: Guild | None = None


@dataclass
class Tenants:
    store: Store
    metrics: RecordingMetrics
    fake_slack: FakeSlack
    slack_runtime: SlackRuntime
    slack: SlackDriver
    fake_discord: FakeDiscord
    discord_client: Any
    console: ConnectionsService
    console_lines: list[str] = field(default_factory=list)

    async def new_communities(self) -> list[Community]:
        """Five fresh communities (each Hypothesis example gets its own)."""
        n = next(_ids)
        found = [
            Community(f"slack:TA{n}", "slack", SLACK_PEOPLE, f"TA{n}"),
            Community(f"slack:TB{n}", "slack", SLACK_PEOPLE, f"TB{n}"),
        ]
        for offset in (1, 2):
            guild_id = 160000000000000000 + n * 10 + offset
            guild = Guild(
                id=guild_id,
                name=f"Guild {n}-{offset}",
                members=[DISCORD_ADMIN, *DISCORD_PEOPLE],
                channels=[Channel(id=guild_id + 5_000_000, name="general")],
            )
            self.fake_discord.add_guild(guild)
            await self.fake_discord.dispatch(
                "GUILD_CREATE", guild.create_payload(self.fake_discord.bot)
            )
            found.append(
                Community(
                    f"discord:{guild_id}",
                    "discord",
                    tuple(str(u.id) for u in DISCORD_PEOPLE),
                    str(guild_id),
                    guild,
                )
            )
        async with asyncio.timeout(WAIT):
            # The client's guild cache has no event to wait on: look until it has both.
            while any(self.discord_client.get_guild(int(c.handle)) is None for c in found[2:]):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        found.append(Community(f"console:iso{n}", "console", CONSOLE_PEOPLE, f"console:iso{n}"))
        return found

    # --- saying things ------------------------------------------------------------------

    async def say(self, community: Community, who: int | None, command: str) -> Said:
        """A command in the text grammar ("/kudos @2 for ..."): `@N` names the Nth person of
        the community; `who` None is the community's admin."""
        if community.platform == "slack":
            return await self._slack(community, who, command)
        if community.platform == "discord":
            return await self._discord(community, who, command)
        return await self._console(community, who, command)

    def outcomes(self) -> list[tuple[str, str]]:
        return self.metrics.take()

    async def _slack(self, community: Community, who: int | None, command: str) -> Said:
        name, _, text = command.partition(" ")
        for i, person in enumerate(community.people):
            text = text.replace(f"@{i}", f"<@{person}>")
        user = SLACK_ADMIN if who is None else community.people[who]
        uploads = len(self.fake_slack.uploads)
        # A channel per command: thank-yous are paced per channel, one a second.
        channel = f"C{community.handle}{next(_ids)}"
        answer = await self.slack.command(
            name, text, user=user, channel=channel, team=community.handle
        )
        file = None
        if text == "export":  # the file follows in a DM, after the ack
            async with asyncio.timeout(WAIT):
                while len(self.fake_slack.uploads) == uploads:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
            file = list(self.fake_slack.uploads.values())[-1]
        return Said(answer.message, answer.text, file)

    async def _console(self, community: Community, who: int | None, command: str) -> Said:
        for i, person in enumerate(community.people):
            command = command.replace(f"@{i}", f"@{person}")
        name = "ada" if who is None else community.people[who]
        session = ConsoleSession(self.console, self.console_lines.append, name, who is None)
        session.actor = replace(session.actor, community_id=community.id)
        self.console_lines.clear()
        await session.handle_line(command)
        text = "\n".join(self.console_lines)
        file = None
        if "--- smart-connections-export.json ---" in text:
            text, _, exported = text.partition("--- smart-connections-export.json ---")
            file = exported.strip().encode()
        return Said(text, text, file)

    async def _discord(self, community: Community, who: int | None, command: str) -> Said:
        assert community.guild is not None
        user = DISCORD_ADMIN if who is None else DISCORD_PEOPLE[who]
        payload = self.fake_discord.interaction(
            community.guild, user, _typed(command), channel=community.guild.channels[0]
        )
        await self.fake_discord.send_interaction(payload)
        webhook = f"/webhooks/{APP_ID}/{payload['token']}"
        answer = await self.fake_discord.wait_for(
            lambda r: r.method == "POST" and r.path == webhook, within=WAIT
        )
        files = list(answer.files.values())
        content = str(answer.json.get("content", ""))
        return Said(
            content, json.dumps(answer.json, ensure_ascii=False), files[0] if files else None
        )


def _typed(command: str) -> dict[str, Any]:
    """The Discord interaction for a command of the text grammar used by the tests."""
    name, _, rest = command.partition(" ")
    words = rest.split()
    if name == "/kudos":
        target = DISCORD_PEOPLE[int(words[0].lstrip("@"))]
        reason = " ".join(words[1:])
        return p.slash(
            "kudos",
            p.member("member", target),
            p.text("reason", reason),
            resolved_data=p.resolved(members=[target]),
        )
    if name == "/offer" and words[0] == "list":
        return p.slash("offer", p.subcommand("list"))
    if name == "/offer":
        return p.slash("offer", p.subcommand("add", p.text("text", rest)))
    if words[:1] == ["admin"]:
        return _admin(words[1:], rest.split(None, 3))
    if words == ["forget", "confirm"]:
        return p.slash("connections", p.subcommand("forget", p.flag("confirm", True)))
    return p.slash("connections", p.subcommand(words[0]))


def _admin(words: list[str], raw: list[str]) -> dict[str, Any]:
    def admin(*path: str, options: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
        sub = p.subcommand(path[-1], *options)
        return p.slash("connections-admin", p.group(path[0], sub) if len(path) == 2 else sub)

    if words[:2] == ["prompt", "add"]:
        return admin("prompt", "add", options=(p.text("text", raw[3]),))
    if words[:2] == ["prompt", "list"]:
        return admin("prompt", "list")
    if words[:2] == ["digest", "preview"]:
        return admin("digest", "preview")
    if words[0] == "hide":
        return admin("hide", options=(p.number("id", int(words[1])),))
    return admin(words[0])


def exported_ids(file: bytes | None) -> tuple[set[int], set[int]]:
    """The kudos and offer ids in a member's export."""
    assert file is not None, "the export came without its file"
    data = json.loads(file)
    kudos = {k["id"] for k in data["kudos_given"] + data["kudos_received"]}
    return kudos, {o["id"] for o in data["offers"]}


@asynccontextmanager
async def tenants(database_url: str) -> AsyncIterator[Tenants]:
    fake_slack, fake_discord = FakeSlack(), FakeDiscord(TOKEN)
    for user_id in SLACK_PEOPLE:
        fake_slack.add_user(user_id, user_id[1:].capitalize())
    fake_slack.add_user(SLACK_ADMIN, "Ada Admin", is_admin=True)
    await fake_slack.start()
    await fake_discord.start()
    metrics = RecordingMetrics()
    try:
        settings = settings_for(fake_slack, database_url)
        async with open_store(settings, metrics=metrics) as store:
            lines: list[str] = []
            console = build_service(store, ConsoleDirectory(), ConsoleNotifier(lines.append))
            discord_runtime = build_runtime(fake_discord, store)
            async with (
                slack_running(settings, store) as slack_runtime,
                discord_running(discord_runtime),
            ):
                yield Tenants(
                    store=store,
                    metrics=metrics,
                    fake_slack=fake_slack,
                    slack_runtime=slack_runtime,  # type: ignore[arg-type]
                    slack=SlackDriver(f"http://127.0.0.1:{slack_runtime.http.port}", fake_slack),
                    fake_discord=fake_discord,
                    discord_client=discord_runtime.client,
                    console=console,
                    console_lines=lines,
                )
    finally:
        await fake_discord.close()
        await fake_slack.stop()


async def stored_kudos(store: Store, community_id: str) -> list[Kudos]:
    async with store.uow() as uow:
        return await uow.kudos.recent(community_id, 10_000)
