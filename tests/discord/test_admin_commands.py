"""/connections-admin: hidden by default_permissions(manage_guild), checked when it runs."""

from __future__ import annotations

from typing import Any

import pytest

from bot.service import NOT_ADMIN
from tests.discord import payloads as p
from tests.discord.fake_discord import User
from tests.discord.harness import Bot

AUTOCOMPLETE = 4
AUTOCOMPLETE_RESULT = 8


def admin(*path: str, options: tuple[dict[str, Any], ...] = (), **extra: Any) -> dict[str, Any]:
    """/connections-admin [group] sub {options}."""
    sub = p.subcommand(path[-1], *options)
    top = p.group(path[0], sub) if len(path) == 2 else sub
    return p.slash("connections-admin", top, **extra)


def channel_command(bot: Bot, channel: Any) -> dict[str, Any]:
    return admin(
        "digest",
        "channel",
        options=(p.channel_option("channel", channel),),
        resolved_data=p.resolved(channels=[(bot.world.guild, channel)]),
    )


async def test_the_admin_group_is_hidden_from_members_by_default(bot: Bot) -> None:
    (sync,) = bot.fake.command_syncs()
    commands = {c["name"]: c for c in sync.json}
    assert commands["connections-admin"]["default_member_permissions"] == 1 << 5  # Manage Server
    assert commands["kudos"]["default_member_permissions"] is None
    assert all(c["contexts"] == [0] for c in sync.json)  # servers only


async def test_a_non_admin_is_refused_even_when_the_command_is_shown_to_them(bot: Bot) -> None:
    """A server may override the default and show the group to everyone: the permission
    Discord computes for the interaction (no Manage Server) still decides."""
    w = bot.world
    text = await bot.reply_text(w.alice, channel_command(bot, w.general))
    assert text == NOT_ADMIN
    community = await bot.community()
    assert community is None or community.digest_channel is None
    for data in (
        admin("stats"),
        admin("limit", "daily", options=(p.number("value", 0),)),
        admin(
            "grant",
            options=(p.member("member", w.alice),),
            resolved_data=p.resolved(members=[w.alice]),
        ),
    ):
        assert await bot.reply_text(w.alice, data) == NOT_ADMIN
    async with bot.store.uow() as uow:
        alice = await uow.members.get(w.community_id, str(w.alice.id))
    assert alice is None or not alice.is_admin


async def test_setting_the_digest_channel_links_it(bot: Bot) -> None:
    w = bot.world
    text = await bot.reply_text(w.admin, channel_command(bot, w.general))
    assert text == f"The weekly digest will be posted in <#{w.general.id}>."
    community = await bot.community()
    assert community is not None and community.digest_channel == str(w.general.id)


async def test_a_channel_the_bot_cannot_post_in_is_set_with_a_warning(bot: Bot) -> None:
    w = bot.world  # #quiet denies Send Messages to @everyone, the bot included
    text = await bot.reply_text(w.admin, channel_command(bot, w.quiet))
    assert text == (
        f"The weekly digest will be posted in <#{w.quiet.id}>.\n"
        # Discord (and discord.py) take Embed Links away with Send Messages.
        "I can't post there yet: please give me Send Messages and Embed Links in that channel, "
        "or the digest will fail."
    )


async def test_schedule_pause_resume(bot: Bot) -> None:
    w = bot.world
    day = p.option("day", 4, 2)
    text = await bot.reply_text(
        w.admin,
        admin(
            "digest",
            "schedule",
            options=(day, p.text("time", "16:30"), p.text("timezone", "Europe/Berlin")),
        ),
    )
    assert text.startswith("Digest schedule set: Wed 16:30 Europe/Berlin. Next one: Wed")
    bad_time = await bot.reply_text(
        w.admin, admin("digest", "schedule", options=(day, p.text("time", "25:99")))
    )
    assert "HH:MM" in bad_time
    bad_zone = await bot.reply_text(
        w.admin,
        admin(
            "digest",
            "schedule",
            options=(day, p.text("time", "09:00"), p.text("timezone", "Mars/Olympus_Mons")),
        ),
    )
    assert "I don't know the time zone" in bad_zone
    paused = await bot.reply_text(w.admin, admin("digest", "pause"))
    assert "/connections-admin digest resume" in paused
    resumed = await bot.reply_text(w.admin, admin("digest", "resume"))
    assert resumed.startswith("The weekly digest is back on")


async def test_time_zones_are_suggested_as_you_type(bot: Bot) -> None:
    w = bot.world
    data = admin(
        "digest",
        "schedule",
        options=(
            p.option("day", 4, 0),
            p.text("time", "09:00"),
            {"name": "timezone", "type": 3, "value": "berl", "focused": True},
        ),
    )
    payload = await bot.interact(w.admin, data, kind=AUTOCOMPLETE)
    callback = await bot.callback(payload)
    assert callback.json["type"] == AUTOCOMPLETE_RESULT
    assert callback.json["data"]["choices"] == [{"name": "Europe/Berlin", "value": "Europe/Berlin"}]


async def test_prompts(bot: Bot) -> None:
    w = bot.world
    added = await bot.reply_text(
        w.admin,
        admin(
            "prompt",
            "add",
            options=(p.text("text", "Review a *pull request* you were not asked to"),),
        ),
    )
    assert added.startswith("Prompt #1 added")
    listed = await bot.reply_text(w.admin, admin("prompt", "list"))
    assert "\\#1 Review a \\*pull request\\*" in listed
    removed = await bot.reply_text(w.admin, admin("prompt", "remove", options=(p.number("id", 1),)))
    assert removed == "Prompt #1 removed."
    missing = await bot.reply_text(w.admin, admin("prompt", "remove", options=(p.number("id", 1),)))
    assert "There is no prompt #1" in missing
    short = await bot.reply_text(
        w.admin, admin("prompt", "add", options=(p.text("text", "\u200b"),))
    )
    assert "A prompt invites people" in short


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("daily", 3, "up to 3 kudos a day"),
        ("daily", 0, "limit is off"),
        ("daily", 100000, "between 0 and 1000"),
        ("reason", 20, "at least 20 characters"),
        ("reason", 0, "between 1 and 500"),
    ],
)
async def test_limits(bot: Bot, kind: str, value: int, expected: str) -> None:
    text = await bot.reply_text(
        bot.world.admin, admin("limit", kind, options=(p.number("value", value),))
    )
    assert expected in text


async def test_a_named_admin_without_manage_server_may_use_admin_commands(bot: Bot) -> None:
    w = bot.world

    def grant(verb: str, who: User) -> dict[str, Any]:
        return admin(
            verb, options=(p.member("member", who),), resolved_data=p.resolved(members=[who])
        )

    assert (
        await bot.reply_text(w.admin, grant("grant", w.alice))
        == "Alice can now use the admin commands."
    )
    stats = await bot.reply_text(w.alice, admin("stats"))
    assert stats.startswith("Last 8 weeks")
    assert "Name a member" in await bot.reply_text(w.admin, grant("grant", w.helper_bot))
    assert (
        await bot.reply_text(w.admin, grant("revoke", w.alice))
        == "Alice is no longer a named admin."
    )
    assert await bot.reply_text(w.alice, admin("stats")) == NOT_ADMIN
    async with bot.store.uow() as uow:
        actions = [e.action for e in await uow.audit.list(w.community_id)]
    assert actions[:2] == ["admin.revoke", "admin.grant"]


async def test_preview_shows_the_digest_as_private_embeds(bot: Bot) -> None:
    w = bot.world
    answer = await bot.reply(await bot.interact(w.admin, admin("digest", "preview")))
    assert answer.json["flags"] & 64
    assert answer.json["content"] == "Preview of this week's digest (only you can see this):"
    titles = [e["title"] for e in answer.json["embeds"]]
    assert titles[0].startswith("The week in thanks")
    assert titles[-1] == "This week's prompt"
    assert bot.fake.calls("POST", "/channels/") == []  # nothing public


async def test_digest_now_posts_in_the_channel(bot: Bot) -> None:
    w = bot.world
    await bot.reply_text(w.admin, channel_command(bot, w.general))
    text = await bot.reply_text(w.admin, admin("digest", "now"))
    assert text.startswith(f"Posted the digest to <#{w.general.id}>.")
    (post,) = await bot.channel_posts(w.general)
    assert post.json["embeds"][0]["title"].startswith("The week in thanks")
    assert post.json["allowed_mentions"] == {"parse": []}
