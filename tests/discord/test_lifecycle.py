"""Starting, syncing commands, reconnecting, sharding, the command line, and secrets."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import pytest

from adapters.discord.app import DiscordSetupError, create_runtime
from adapters.discord.client import ShardedConnectionsClient
from adapters.discord.sync import command_hash
from bot import bootstrap, cli
from bot.bootstrap import Store, build_service
from bot.settings import Settings
from tests.databases import sqlite_url
from tests.discord import payloads as p
from tests.discord.fake_discord import APP_ID, FakeDiscord
from tests.discord.harness import TOKEN, Bot, World, build_runtime, running

HASH_KEY = f"discord.command_hash:{APP_ID}"
ME = p.slash("connections", p.subcommand("me"))


def discord_settings(fake: FakeDiscord, tmp_path: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "database_url": sqlite_url(tmp_path),
        "discord_token": TOKEN,
        "discord_api_base_url": fake.api_url,
        "discord_gateway_url": fake.gateway_url,
        # Discord alone: bootstrap serves health and metrics itself; never on 0.0.0.0:3000.
        "host": "127.0.0.1",
        "port": 0,
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def start_and_stop(fake: FakeDiscord, store: Store) -> None:
    runtime = build_runtime(fake, store)
    async with running(runtime):
        pass


async def test_commands_are_synced_once_then_only_when_they_change(
    fake: FakeDiscord, world: World, store: Store
) -> None:
    await start_and_stop(fake, store)
    (sync,) = fake.command_syncs()
    assert sync.path == f"/applications/{APP_ID}/commands"
    names = {c["name"] for c in sync.json}
    assert names == {
        "kudos",
        "offer",
        "connections",
        "connections-admin",
        "Thank this member",
        "Thank the author",
    }

    await start_and_stop(fake, store)  # same commands, same database: no sync
    assert len(fake.command_syncs()) == 1
    assert fake.identify_count == 2

    async with store.uow() as uow:  # as if an older release had synced other commands
        await uow.state.put(HASH_KEY, "an older command set")
        await uow.commit()
    await start_and_stop(fake, store)
    assert len(fake.command_syncs()) == 2


async def test_a_failed_sync_does_not_stop_the_bot_and_is_retried_next_start(
    fake: FakeDiscord, world: World, sqlite_store: Store
) -> None:
    fake.fail_command_sync = True
    runtime = build_runtime(fake, sqlite_store)
    async with running(runtime):
        bot = Bot(fake=fake, store=sqlite_store, runtime=runtime, world=world)
        assert (await bot.reply_text(world.alice, ME)).startswith("Your last 30 days")
    async with sqlite_store.uow() as uow:
        assert await uow.state.get(HASH_KEY) is None
    fake.fail_command_sync = False
    await start_and_stop(fake, sqlite_store)
    assert len(fake.command_syncs()) == 2  # the failed one, then the retry


async def test_a_reconnect_resumes_the_session_and_syncs_nothing(bot: Bot) -> None:
    fake = bot.fake
    assert len(fake.command_syncs()) == 1 and fake.identify_count == 1
    await fake.drop_connection(code=4000)
    await fake.wait_until(lambda: fake.resume_count == 1)
    # The resumed connection serves interactions as before.
    assert (await bot.reply_text(bot.world.alice, ME)).startswith("Your last 30 days")
    assert fake.identify_count == 1  # RESUME, not a new IDENTIFY
    assert len(fake.command_syncs()) == 1


async def test_discord_sync_on_the_command_line_always_syncs(
    fake: FakeDiscord,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url(tmp_path))
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("DISCORD_API_BASE_URL", fake.api_url)
    monkeypatch.setenv("DISCORD_GATEWAY_URL", fake.gateway_url)
    guild = str(world.guild.id)
    # The command line runs its own event loop: in a thread, while the fake serves here.
    assert await asyncio.to_thread(cli.main, ["discord", "sync", "--guild", guild]) == 0
    assert await asyncio.to_thread(cli.main, ["discord", "sync", "--guild", guild]) == 0
    guild_syncs = fake.calls("PUT", f"/applications/{APP_ID}/guilds/{guild}/commands")
    assert len(guild_syncs) == 2 and len(guild_syncs[0].json) == 6
    assert fake.identify_count == 0  # REST only: no gateway connection

    assert await asyncio.to_thread(cli.main, ["discord", "sync"]) == 0
    assert len(fake.calls("PUT", f"/applications/{APP_ID}/commands")) == 1
    # The global sync is remembered: the bot's next start does not sync again.
    async with bootstrap.open_store(discord_settings(fake, tmp_path)) as store:
        await start_and_stop(fake, store)
    assert len(fake.calls("PUT", f"/applications/{APP_ID}/commands")) == 1


def test_the_sync_command_refuses_a_bad_guild_id(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["discord", "sync", "--guild", "#general"])
    assert "is not a Discord server id" in capsys.readouterr().err


async def test_sync_with_a_bad_token_says_so(
    fake: FakeDiscord, world: World, tmp_path: Path
) -> None:
    settings = discord_settings(fake, tmp_path, discord_token="not-the-right-token")
    with pytest.raises(DiscordSetupError, match="refused the bot token") as caught:
        await bootstrap.discord_sync(settings)
    assert "not-the-right-token" not in str(caught.value)


async def test_sharded_with_discord_shards_auto(
    fake: FakeDiscord, world: World, sqlite_store: Store
) -> None:
    runtime = build_runtime(fake, sqlite_store, shards="auto")
    assert isinstance(runtime.client, ShardedConnectionsClient)
    async with running(runtime):
        bot = Bot(fake=fake, store=sqlite_store, runtime=runtime, world=world)
        assert (await bot.reply_text(world.alice, ME)).startswith("Your last 30 days")
    assert fake.calls("GET", "/gateway/bot")  # Discord's recommended shard count
    assert fake.shard == [0, 1]


async def test_a_bad_shards_setting_stops_with_a_clear_message(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    settings = discord_settings(fake, tmp_path, discord_shards="lots")
    async with bootstrap.open_store(settings) as store:
        with pytest.raises(SystemExit, match="DISCORD_SHARDS must be 'auto' or a number"):
            await bootstrap._discord_runtime(settings, store)


async def test_run_starts_discord_when_its_token_is_set(
    fake: FakeDiscord, world: World, tmp_path: Path
) -> None:
    task = asyncio.create_task(bootstrap.run(discord_settings(fake, tmp_path)))
    try:
        await fake.wait_until(lambda: fake.identify_count == 1)
        identify = [e for e in fake.gateway_events if e == (2, None)]
        assert identify
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)
    # Cancelled, the client closed its gateway connection.
    await fake.wait_until(lambda: not fake._sockets)


async def test_a_bad_token_stops_serving_with_a_clear_error(
    fake: FakeDiscord, world: World, sqlite_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.token = "the-token-discord-expects"
    runtime = build_runtime(fake, sqlite_store)
    with pytest.raises(DiscordSetupError, match="check DISCORD_TOKEN") as caught:
        await asyncio.wait_for(runtime.serve(), timeout=5)
    assert TOKEN not in str(caught.value)
    assert TOKEN not in caplog.text


async def test_no_token_appears_in_the_logs(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    w = bot.world
    payload = await bot.interact(
        w.alice,
        p.slash(
            "kudos",
            p.member("member", w.bob),
            p.text("reason", "for the careful review"),
            resolved_data=p.resolved(members=[w.bob]),
        ),
    )
    await bot.reply(payload)
    await bot.channel_posts(w.general)
    await bot.fake.drop_connection()
    await bot.fake.wait_until(lambda: bot.fake.resume_count == 1)  # RESUME carries the token
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert "INTERACTION_CREATE" in logged  # discord.py's debug logging was captured
    assert TOKEN not in logged
    assert payload["token"] not in logged


def test_the_command_hash_follows_the_command_set(sqlite_store: Store, fake: FakeDiscord) -> None:
    first = build_runtime(fake, sqlite_store).client.tree
    second = build_runtime(fake, sqlite_store).client.tree
    assert command_hash(first) == command_hash(second)
    second.remove_command("kudos")
    assert command_hash(first) != command_hash(second)


def test_the_sync_command_needs_a_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here, and nothing may be written
    assert cli.main(["discord", "sync"]) == 1
    assert capsys.readouterr().err.strip() == "Nothing synced: set DISCORD_TOKEN to use Discord"
    assert list(tmp_path.iterdir()) == []


async def test_a_replica_with_split_shards_identifies_only_its_own(
    fake: FakeDiscord, world: World, sqlite_store: Store
) -> None:
    """DISCORD_SHARD_IDS=1 with DISCORD_SHARD_COUNT=2: this process is shard 1 of 2."""
    runtime = create_runtime(
        token=TOKEN,
        uow=sqlite_store.uow,
        build_service=lambda directory, notifier: build_service(sqlite_store, directory, notifier),
        api_base_url=fake.api_url,
        gateway_url=fake.gateway_url,
        client_options={"guild_ready_timeout": 0.1},
        shard_ids="1",
        total_shards=2,
    )
    assert isinstance(runtime.client, ShardedConnectionsClient)
    async with running(runtime):
        assert fake.shard == [1, 2]
        assert fake.identify_count == 1
