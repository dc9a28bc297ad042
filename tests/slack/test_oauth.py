"""Multi-workspace installs: the OAuth flow against the fake's oauth.v2.access, with
installations kept in our database (SQLite and PostgreSQL), and removed on uninstall."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import func, select

from bot.bootstrap import Store, open_store
from bot.settings import Settings
from storage.slack_installations import (
    SqlSlackInstallationStore,
    SqlSlackOAuthStateStore,
    slack_bots,
    slack_installations,
)
from tests.slack.fake_slack import INSTALLED_BOT_TOKEN, FakeSlack
from tests.slack.harness import SIGNING_SECRET, SlackWorld, slack_world

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "f1e2d3c4b5a6f1e2d3c4b5a6clientsecret"
OTHER_TEAM = "T0OTHER"
TIMEOUT = aiohttp.ClientTimeout(total=10)


async def rows(store: Store) -> tuple[int, int]:
    async with store.engine.connect() as connection:
        bots = await connection.scalar(select(func.count()).select_from(slack_bots))
        installs = await connection.scalar(select(func.count()).select_from(slack_installations))
    return int(bots or 0), int(installs or 0)


async def install(world: SlackWorld, code: str = "good-code") -> tuple[int, str]:
    """A browser's visit to the install page, then Slack's redirect back with a code."""
    base = world.slack.url
    async with aiohttp.ClientSession(timeout=TIMEOUT) as browser:
        async with browser.get(f"{base}/slack/install") as page:
            html = await page.text()
            cookie = page.headers["Set-Cookie"].split(";", 1)[0]
        link = re.search(r'href="([^"]+/oauth/v2/authorize[^"]+)"', html)
        assert link is not None, html
        query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
        assert query["client_id"] == [CLIENT_ID]
        assert "commands" in query["scope"][0]
        state = query["state"][0]
        async with browser.get(
            f"{base}/slack/oauth_redirect",
            params={"code": code, "state": state},
            headers={"Cookie": cookie},  # the browser would send it back (it is Secure)
        ) as callback:
            return callback.status, await callback.text()


@pytest.fixture
async def oauth_world(fake_slack: FakeSlack, database_url: str) -> SlackWorld:  # type: ignore[misc]
    async with slack_world(
        fake_slack,
        database_url,
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
    ) as running:
        yield running


async def test_install_serve_and_uninstall(
    oauth_world: SlackWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world = oauth_world
    caplog.set_level(logging.DEBUG)

    status, page = await install(world)
    assert status == 200 and "Thank you!" in page
    [access] = world.fake.calls_to("oauth.v2.access")
    assert access.args["code"] == "good-code"
    assert await rows(world.store) == (1, 1)

    answer = await world.slack.command(
        "/kudos", "<@UBOB> for installing this for us", team=OTHER_TEAM
    )
    await world.settle()
    assert "recorded" in answer.message
    lookups = [c for c in world.fake.calls_to("users.info") if c.args["user"] == "UBOB"]
    assert lookups and all(c.token == INSTALLED_BOT_TOKEN for c in lookups)
    assert any(c.token == INSTALLED_BOT_TOKEN for c in world.fake.posted())

    uninstalled = await world.slack.event({"type": "app_uninstalled"}, team=OTHER_TEAM)
    assert uninstalled.status == 200
    assert await rows(world.store) == (0, 0)

    await world.slack.command("/kudos", "<@UCAROL> for all the help this week", team=OTHER_TEAM)
    await world.settle()
    assert await world.kudos_count() == 1  # not installed any more: nothing recorded
    assert "install" in world.fake.responses[-1][1]["text"].lower()

    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "oauth.v2.access" in logged
    assert "[redacted]" in logged  # slack_sdk did log the token-bearing response, redacted
    for secret in (INSTALLED_BOT_TOKEN, CLIENT_SECRET, SIGNING_SECRET):
        assert secret not in logged


@pytest.mark.parametrize("case", ["bad code", "bad state"])
async def test_a_failed_install_stores_nothing(oauth_world: SlackWorld, case: str) -> None:
    world = oauth_world
    if case == "bad code":
        status, page = await install(world, code="expired-code")
    else:
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as browser,
            browser.get(
                f"{world.slack.url}/slack/oauth_redirect",
                params={"code": "good-code", "state": "forged"},
                headers={"Cookie": "slack-app-oauth-state=forged"},
            ) as callback,
        ):
            status, page = callback.status, await callback.text()

    assert status >= 400 and "Thank you!" not in page
    assert await rows(world.store) == (0, 0)


def installation(team: str, user: str, token: str, installed_at: float) -> Installation:
    return Installation(
        app_id="A0APP",
        team_id=team,
        team_name="Team",
        bot_token=token,
        bot_id="B0BOT",
        bot_user_id="UBOT",
        bot_scopes="commands,chat:write",
        user_id=user,
        installed_at=installed_at,
    )


async def test_the_installation_store_keeps_the_latest_install_per_workspace(
    database_url: str,
) -> None:
    async with open_store(Settings(database_url=database_url)) as store:
        installations = SqlSlackInstallationStore(store.engine)
        await installations.async_save(installation("T1", "UA", "xoxb-first", 1_700_000_000.0))
        await installations.async_save(installation("T1", "UB", "xoxb-second", 1_700_000_100.0))
        await installations.async_save(installation("T2", "UA", "xoxb-other", 1_700_000_050.0))
        in_grid = installation("T3", "UA", "xoxb-grid", 1_700_000_060.0)
        in_grid.enterprise_id = "E1"
        await installations.async_save(in_grid)

        bot = await installations.async_find_bot(enterprise_id=None, team_id="T1")
        by_user = await installations.async_find_installation(
            enterprise_id=None, team_id="T1", user_id="UA"
        )
        latest = await installations.async_find_installation(enterprise_id=None, team_id="T1")
        grid = await installations.async_find_bot(enterprise_id="E1", team_id="T1")
        assert bot is not None and bot.bot_token == "xoxb-second"
        assert by_user is not None and by_user.bot_token == "xoxb-first"
        assert latest is not None and latest.user_id == "UB"
        assert grid is None
        # A Grid workspace is found by its team id alone (how the adapter looks tokens up).
        by_team = await installations.async_find_bot(enterprise_id=None, team_id="T3")
        exact = await installations.async_find_bot(enterprise_id="E1", team_id="T3")
        assert by_team is not None and exact is not None and by_team.bot_token == "xoxb-grid"

        await installations.async_delete_installation(
            enterprise_id=None, team_id="T1", user_id="UA"
        )
        assert await rows(store) == (3, 3)
        await installations.async_delete_all(enterprise_id=None, team_id="T1")
        assert await installations.async_find_bot(enterprise_id=None, team_id="T1") is None
        assert await installations.async_find_installation(enterprise_id=None, team_id="T1") is None
        other = await installations.async_find_bot(enterprise_id=None, team_id="T2")
        assert other is not None and other.bot_token == "xoxb-other"


async def test_an_oauth_state_is_good_once_and_only_while_fresh(database_url: str) -> None:
    async with open_store(Settings(database_url=database_url)) as store:
        states = SqlSlackOAuthStateStore(store.engine)
        expired = SqlSlackOAuthStateStore(store.engine, lifetime=timedelta(seconds=-1))

        state = await states.async_issue()
        stale = await expired.async_issue()

        assert await states.async_consume(state) is True
        assert await states.async_consume(state) is False
        assert await states.async_consume(stale) is False
        assert await states.async_consume("never-issued") is False
