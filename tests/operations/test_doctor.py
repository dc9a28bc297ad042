"""`smart-connections doctor` says in plain words what is wrong, and passes when nothing is."""

from __future__ import annotations

from pathlib import Path

from bot import bootstrap
from bot.settings import Settings
from tests.databases import sqlite_url
from tests.discord.fake_discord import FakeDiscord
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack

DISCORD_TOKEN = "discord-doctor-token-value"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def test_a_healthy_set_up_passes(tmp_path: Path) -> None:
    slack, discord = FakeSlack(), FakeDiscord(DISCORD_TOKEN)
    await slack.start()
    await discord.start()
    try:
        url = sqlite_url(tmp_path)
        await bootstrap.db_upgrade(settings(database_url=url))
        report, code = await bootstrap.doctor(
            settings(
                database_url=url,
                slack_bot_token=BOT_TOKEN,
                slack_signing_secret="a-signing-secret",
                slack_api_base_url=slack.api_url,
                discord_token=DISCORD_TOKEN,
                discord_api_base_url=discord.api_url,
            )
        )
    finally:
        await slack.stop()
        await discord.close()
    assert code == 0, report
    assert "HTTP mode" in report and "schema up to date" in report
    assert "slack: token accepted" in report and "discord: token accepted" in report
    assert report.endswith("All good.")
    assert BOT_TOKEN not in report and DISCORD_TOKEN not in report


async def test_every_problem_is_named_with_its_fix(tmp_path: Path) -> None:
    slack, discord = FakeSlack(), FakeDiscord("the-right-token")
    await slack.start()
    await discord.start()
    try:
        report, code = await bootstrap.doctor(
            settings(
                database_url=sqlite_url(tmp_path),  # never upgraded
                slack_bot_token="xoxb-revoked-token-0000",
                slack_client_id="123.456",
                slack_api_base_url=slack.api_url,
                discord_token="a-wrong-discord-token",
                discord_api_base_url=discord.api_url,
                discord_shards="many",
            )
        )
    finally:
        await slack.stop()
        await discord.close()
    assert code == 1
    lines = report.splitlines()
    assert any("FIX  slack: set SLACK_SIGNING_SECRET" in line for line in lines)
    assert any("both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET" in line for line in lines)
    assert any("Slack refused SLACK_BOT_TOKEN (invalid_auth)" in line for line in lines)
    assert any("Discord refused DISCORD_TOKEN" in line for line in lines)
    assert any("DISCORD_SHARDS must be" in line for line in lines)
    assert any("smart-connections db upgrade" in line for line in lines)
    assert lines[-1] == "6 problem(s) to fix before `run`."
    assert "xoxb-revoked" not in report and "a-wrong-discord-token" not in report


async def test_an_unreachable_database_is_reported_not_raised() -> None:
    report, code = await bootstrap.doctor(
        settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    )
    assert code == 1
    assert "FIX  database: cannot reach the database" in report
    bad, bad_code = await bootstrap.doctor(settings(database_url="not a url"))
    assert bad_code == 1 and "DATABASE_URL is not usable" in bad
