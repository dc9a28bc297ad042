"""Admin commands are checked when they run: workspace admins and owners (users.info),
and members an admin named."""

from __future__ import annotations

import pytest

from tests.slack.fake_slack import Failure
from tests.slack.harness import SlackWorld


async def test_a_members_admin_command_is_refused_and_changes_nothing(world: SlackWorld) -> None:
    answer = await world.slack.command("/connections", "admin limit daily 0", user="UBOB")

    assert "only admins of this community can do that" in answer.message
    community = await world.community()
    assert community is None or community.daily_kudos_limit == 10


@pytest.mark.parametrize("admin", ["UADMIN", "UOWNER"])
async def test_workspace_admins_and_owners_may(world: SlackWorld, admin: str) -> None:
    answer = await world.slack.command("/connections", "admin limit daily 0", user=admin)

    assert "The daily kudos limit is off" in answer.message
    community = await world.community()
    assert community is not None and community.daily_kudos_limit == 0


async def test_a_named_admin_may_until_revoked(world: SlackWorld) -> None:
    granted = await world.slack.command("/connections", "admin grant <@UBOB|bob>", user="UADMIN")
    allowed = await world.slack.command("/connections", "admin limit daily 3", user="UBOB")
    revoked = await world.slack.command("/connections", "admin revoke <@UBOB>", user="UADMIN")
    refused = await world.slack.command("/connections", "admin limit daily 4", user="UBOB")

    assert "Bob can now use the admin commands" in granted.message
    assert "up to 3 kudos a day" in allowed.message
    assert "no longer a named admin" in revoked.message
    assert "only admins" in refused.message


@pytest.mark.parametrize("who", ["<@UHELPERBOT>", "<@UNOBODY1>", "<!channel>", "@bob"])
async def test_only_members_can_be_named_admins(world: SlackWorld, who: str) -> None:
    answer = await world.slack.command("/connections", f"admin grant {who}", user="UADMIN")

    assert "e.g. /connections admin grant @" in answer.message.replace("\u200b", "")


async def test_a_demoted_admin_loses_the_rights_at_once(world: SlackWorld) -> None:
    # Their profile is cached from an earlier command; admin rights are asked of Slack anew.
    await world.slack.command("/kudos", "<@UBOB> for the review of the release notes", "UADMIN")
    world.fake.users["UADMIN"]["is_admin"] = False

    answer = await world.slack.command("/connections", "admin limit daily 3", user="UADMIN")

    assert "only admins" in answer.message


async def test_when_slack_cannot_confirm_an_admin_nothing_changes(world: SlackWorld) -> None:
    world.fake.fail_next("users.info", Failure(200, {"ok": False, "error": "internal_error"}))

    answer = await world.slack.command("/connections", "admin limit daily 0", user="UADMIN")

    assert "couldn't check your admin rights with Slack" in answer.message
    community = await world.community()
    assert community is None or community.daily_kudos_limit == 10


async def test_the_digest_channel_is_set_from_a_channel_link(world: SlackWorld) -> None:
    answer = await world.slack.command(
        "/connections", "admin digest channel <#CDIGEST|digest>", user="UADMIN"
    )
    # Typed without Slack turning it into a link: there is no channel id to keep.
    typed = await world.slack.command(
        "/connections", "admin digest channel #general", user="UADMIN"
    )

    assert answer.status == 200 and "CDIGEST" in answer.message
    community = await world.community()
    assert community is not None and community.digest_channel == "CDIGEST"
    assert "Which channel?" in typed.message


async def test_digest_preview_is_block_kit_only_the_admin_sees(world: SlackWorld) -> None:
    await world.slack.command("/kudos", "<@UBOB> for covering my on-call shift #unprompted")

    answer = await world.slack.command("/connections", "admin digest preview", user="UADMIN")

    body = answer.json()
    assert body["response_type"] == "ephemeral"
    assert 1 < len(body["blocks"]) <= 50
    assert body["blocks"][1]["type"] == "header"
    assert "covering my on-call shift" in str(body["blocks"])


async def test_digest_now_posts_the_digest_to_the_channel(world: SlackWorld) -> None:
    await world.slack.command("/connections", "admin digest channel <#CDIGEST>", user="UADMIN")
    await world.slack.command("/kudos", "<@UBOB> for covering my on-call shift #unprompted")

    answer = await world.slack.command("/connections", "admin digest now", user="UADMIN")
    await world.settle()

    assert "Posted the digest" in answer.message
    [post] = [c for c in world.fake.posted() if c.args["channel"] == "CDIGEST"]
    assert post.args["blocks"][0]["type"] == "header"
    assert "covering my on-call shift" in str(post.args["blocks"])


async def test_reactions_are_set_and_turned_off_by_admins(world: SlackWorld) -> None:
    on = await world.slack.command("/connections", "admin reaction :Raised_Hands:", user="UADMIN")
    stored = await world.community()
    off = await world.slack.command("/connections", "admin reaction off", user="UADMIN")

    assert "Reacting with :raised_hands: to a message now thanks its author" in on.message
    assert stored is not None and stored.reaction_emoji == "raised_hands"
    assert "Reactions no longer thank anyone" in off.message
    community = await world.community()
    assert community is not None and community.reaction_emoji is None


@pytest.mark.parametrize(
    "text",
    [
        "admin reaction",
        "admin reaction :raised hands:",
        "admin reaction <!channel>",
        "admin reaction :\u200b:",
        "admin reaction :" + "x" * 120 + ":",
        "admin reaction :🎉:",
    ],
)
async def test_bad_reaction_settings_are_refused(world: SlackWorld, text: str) -> None:
    answer = await world.slack.command("/connections", text, user="UADMIN")

    assert "/connections admin reaction :raised_hands:" in answer.message
    community = await world.community()
    assert community is None or community.reaction_emoji is None


async def test_a_member_cannot_set_the_reaction(world: SlackWorld) -> None:
    answer = await world.slack.command("/connections", "admin reaction :tada:", user="UBOB")

    assert "only admins" in answer.message
