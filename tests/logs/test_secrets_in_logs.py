"""A full run of `smart-connections run` at DEBUG, its logs captured: Slack (installed over
OAuth) and Discord against the fakes, commands, a digest, two data exports. The logs are
JSON lines with a request id on what requests log, and hold none of the secrets the run
was given nor any member's words (the reasons and offers that the exports carry)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest

from tests.databases import PG_USER, temporary_postgres
from tests.discord import payloads as p
from tests.discord.fake_discord import APP_ID, FakeDiscord
from tests.discord.harness import World, make_world
from tests.faults.bot_process import (
    BotProcess,
    bot_environment,
    bot_process,
    discord_connected,
    free_port,
)
from tests.slack.fake_slack import BOT_TOKEN, INSTALLED_BOT_TOKEN, FakeSlack
from tests.slack.harness import SIGNING_SECRET, SlackDriver, populate

DISCORD_TOKEN = "ODk5NjQ1Mzg1.G1Xk2q.process-run-discord-token-never-logged"
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "f1e2d3c4b5a6f1e2d3c4b5a6clientsecretforlogs"
DB_PASSWORD = "db-pw-Quokka-41-never-logged"
TEAM = "T0OTHER"  # the workspace the fake's OAuth install creates
# Members' words: each must reach Slack or Discord, and never the logs.
SLACK_REASON = "for rescuing the Lisbon offsite budget spreadsheet"
DISCORD_REASON = "for mentoring me through the Kestrel migration"
OFFER = "I can pair on Zephyrine query plans"
SECRETS = (
    BOT_TOKEN,
    INSTALLED_BOT_TOKEN,
    SIGNING_SECRET,
    CLIENT_SECRET,
    DISCORD_TOKEN,
    DB_PASSWORD,
)
WORDS = (SLACK_REASON, DISCORD_REASON, OFFER)
TIMEOUT = aiohttp.ClientTimeout(total=10)


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeSlack, FakeDiscord, World]]:
    slack, discord = FakeSlack(), FakeDiscord(DISCORD_TOKEN)
    populate(slack)
    world = make_world(discord)
    await slack.start()
    await discord.start()
    try:
        yield slack, discord, world
    finally:
        await discord.close()
        await slack.stop()


async def install(bot: BotProcess) -> None:
    """A browser installs the app: the install page, then Slack's redirect with a code."""
    async with aiohttp.ClientSession(timeout=TIMEOUT) as browser:
        async with browser.get(f"{bot.url}/slack/install") as page:
            html = await page.text()
            cookie = page.headers["Set-Cookie"].split(";", 1)[0]
        link = re.search(r'href="([^"]+/oauth/v2/authorize[^"]+)"', html)
        assert link is not None, html
        state = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)["state"][0]
        async with browser.get(
            f"{bot.url}/slack/oauth_redirect",
            params={"code": "good-code", "state": state},
            headers={"Cookie": cookie},
        ) as callback:
            assert callback.status == 200, await callback.text()


async def use_slack(bot: BotProcess, fake: FakeSlack) -> None:
    slack = SlackDriver(bot.url, fake)
    kudos = await slack.command("/kudos", f"<@UBOB> {SLACK_REASON} #unprompted", team=TEAM)
    assert "recorded" in kudos.message
    assert "is open" in (await slack.command("/offer", OFFER, team=TEAM)).message
    channel = await slack.command(
        "/connections", "admin digest channel <#CDIGEST|digest>", user="UADMIN", team=TEAM
    )
    assert "CDIGEST" in channel.message
    assert (
        "Posted the digest"
        in (
            await slack.command("/connections", "admin digest now", user="UADMIN", team=TEAM)
        ).message
    )
    await slack.command("/connections", "export", team=TEAM)
    async with asyncio.timeout(10):
        while not any(SLACK_REASON.encode() in u for u in fake.uploads.values()):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    posted = json.dumps([c.args for c in fake.posted()])
    assert SLACK_REASON in posted  # the thank-you and the digest went out


async def interact(fake: FakeDiscord, world: World, data: dict[str, Any]) -> dict[str, Any]:
    payload = fake.interaction(world.guild, world.alice, data, channel=world.general)
    await fake.send_interaction(payload)
    webhook = f"/webhooks/{APP_ID}/{payload['token']}"
    answer = await fake.wait_for(lambda r: r.method == "POST" and r.path == webhook, within=10)
    return {"content": answer.json.get("content"), "files": answer.files}


async def use_discord(fake: FakeDiscord, world: World) -> None:
    await discord_connected(fake)
    thanks = p.slash(
        "kudos",
        p.member("member", world.bob),
        p.text("reason", DISCORD_REASON),
        resolved_data=p.resolved(members=[world.bob]),
    )
    # The client takes its guilds a moment after identifying: retry until it answers.
    for _ in range(30):
        try:
            answer = await asyncio.wait_for(interact(fake, world, thanks), timeout=1)
            break
        except TimeoutError:
            continue
    else:
        raise AssertionError("the Discord client never answered")
    assert "recorded" in str(answer["content"])
    export = await interact(fake, world, p.slash("connections", p.subcommand("export")))
    [file] = export["files"].values()
    assert DISCORD_REASON.encode() in file


async def test_a_full_run_logs_json_with_request_ids_and_no_secret_or_members_words(
    fakes: tuple[FakeSlack, FakeDiscord, World], tmp_path: Path
) -> None:
    fake_slack, fake_discord, world = fakes
    async with temporary_postgres() as url:
        with_password = url.replace(f"//{PG_USER}@", f"//{PG_USER}:{DB_PASSWORD}@")
        env = bot_environment(
            with_password,
            fake_slack,
            fake_discord,
            free_port(),
            LOG_LEVEL="DEBUG",
            SLACK_CLIENT_ID=CLIENT_ID,
            SLACK_CLIENT_SECRET=CLIENT_SECRET,
        )
        async with bot_process(env, tmp_path) as bot:
            await install(bot)
            await use_slack(bot, fake_slack)
            await use_discord(fake_discord, world)
            code, _ = await bot.stop()
    assert code == 0, bot.log[-2000:]

    records = [json.loads(line) for line in bot.stderr if line.strip()]  # each a JSON line
    assert {"debug", "info"} <= {r["level"] for r in records}
    leaked = [s for s in (*SECRETS, *WORDS) if s in bot.log]
    assert not leaked, [line for line in bot.stderr if any(s in line for s in leaked)][:5]
    # What a request causes is logged under its id: the digest the Slack command posted, and
    # the Discord commands (under their interaction's id).
    [posted] = [r for r in records if r["message"].startswith(f"digest for slack:{TEAM} posted")]
    assert re.fullmatch(r"[0-9a-f]{16}", posted.get("request_id") or ""), posted
    interactions = {r.get("request_id") for r in records if r["logger"].startswith("discord")}
    assert len(interactions - {None}) == 2, interactions  # the kudos and the export
