"""The abuse controls through Discord: `/connections-admin limit burst`, `recent`, `hide`
and `unhide` as typed subcommands, registered with Discord and checked when they run."""

from __future__ import annotations

from typing import Any

from bot.service import NOT_ADMIN
from tests.discord import payloads as p
from tests.discord.harness import Bot

REASON = "for the careful review of my migration"


def admin(*path: str, options: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    sub = p.subcommand(path[-1], *options)
    return p.slash("connections-admin", p.group(path[0], sub) if len(path) == 2 else sub)


def kudos_for(bot: Bot, reason: str) -> dict[str, Any]:
    w = bot.world
    return p.slash(
        "kudos",
        p.member("member", w.bob),
        p.text("reason", reason),
        resolved_data=p.resolved(members=[w.bob]),
    )


async def test_the_new_subcommands_are_registered(bot: Bot) -> None:
    (sync,) = bot.fake.command_syncs()
    [group] = [c for c in sync.json if c["name"] == "connections-admin"]
    names = {o["name"] for o in group["options"]}
    limits = next(o for o in group["options"] if o["name"] == "limit")

    assert {"recent", "hide", "unhide"} <= names
    assert {o["name"] for o in limits["options"]} == {"daily", "reason", "burst"}


async def test_an_admin_sets_the_burst_limit_and_a_member_may_not(bot: Bot) -> None:
    w = bot.world
    burst = admin("limit", "burst", options=(p.number("value", 2),))

    assert await bot.reply_text(w.alice, burst) == NOT_ADMIN
    assert "up to 2 kudos a minute" in await bot.reply_text(w.admin, burst)
    for _ in range(2):
        assert "is recorded" in await bot.reply_text(w.alice, kudos_for(bot, REASON))
    assert "2 kudos in the last minute" in await bot.reply_text(w.alice, kudos_for(bot, REASON))


async def test_an_admin_lists_recent_kudos_then_hides_and_unhides_one(bot: Bot) -> None:
    w = bot.world
    await bot.reply_text(w.alice, kudos_for(bot, REASON))

    recent = await bot.reply_text(w.admin, admin("recent"))
    hidden = await bot.reply_text(w.admin, admin("hide", options=(p.number("id", 1),)))
    shown = await bot.reply_text(w.admin, admin("unhide", options=(p.number("id", 1),)))
    refused = await bot.reply_text(w.alice, admin("hide", options=(p.number("id", 1),)))

    assert "#1 " in recent and "Alice → Bob" in recent and "/connections-admin hide" in recent
    assert "Kudos #1 is hidden from digests" in hidden
    assert "shown in digests again" in shown
    assert refused == NOT_ADMIN
    async with bot.store.uow() as uow:
        assert [k.hidden for k in await uow.kudos.recent(w.community_id, 5)] == [False]
