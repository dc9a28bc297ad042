"""/kudos, /offer and /connections through the real discord.py client and the fake Discord."""

from __future__ import annotations

import json

import pytest

from adapters.discord.client import NOT_IN_A_SERVER, OUT_OF_DATE
from adapters.discord.responder import SORRY
from tests.discord import payloads as p
from tests.discord.fake_discord import APP_ID, User
from tests.discord.harness import Bot

EPHEMERAL = 64


def kudos(
    *members: User,
    reason: str,
    values: str | None = None,
    unprompted: bool | None = None,
    outsiders: tuple[User, ...] = (),
) -> dict[str, object]:
    names = ("member", "member2", "member3")
    options = [p.member(name, m) for name, m in zip(names, members, strict=False)]
    options.append(p.text("reason", reason))
    if values is not None:
        options.append(p.text("values", values))
    if unprompted is not None:
        options.append(p.flag("unprompted", unprompted))
    known = [m for m in members if m not in outsiders]
    return p.slash(
        "kudos", *options, resolved_data=p.resolved(members=known, outsiders=list(outsiders))
    )


async def kudos_count(bot: Bot) -> int:
    async with bot.store.uow() as uow:
        return len(await uow.kudos.given_by(bot.world.community_id, str(bot.world.alice.id)))


async def test_kudos_thanks_privately_posts_publicly_and_dms_the_recipients(bot: Bot) -> None:
    w = bot.world
    data = kudos(
        w.bob, w.carol, reason="for untangling the release script", values="teamwork, #mentoring"
    )
    payload = await bot.interact(w.alice, data, channel=w.general)

    answer = await bot.reply(payload)
    assert answer.json["flags"] & EPHEMERAL
    assert (
        answer.json["content"]
        == "Your thanks to Bob and Carol is recorded. Thank you for noticing!"
    )
    assert answer.json["allowed_mentions"] == {"parse": []}

    (post,) = await bot.channel_posts(w.general)
    assert post.json["content"] == (
        f"**Alice** thanked <@{w.bob.id}> and <@{w.carol.id}>!\n"
        "> for untangling the release script\n`#teamwork` `#mentoring`"
    )
    assert post.json["allowed_mentions"] == {"parse": [], "users": [w.bob.id, w.carol.id]}

    # Each recipient gets a DM (a DM channel is opened, then a message is sent in it).
    await bot.fake.wait_until(lambda: len(bot.fake.calls("POST", "/users/@me/channels")) == 2)
    opened = {r.json["recipient_id"] for r in bot.fake.calls("POST", "/users/@me/channels")}
    assert opened == {w.bob.id, w.carol.id}

    async with bot.store.uow() as uow:
        (given,) = await uow.kudos.given_by(w.community_id, str(w.alice.id))
    assert given.recipient_ids == (str(w.bob.id), str(w.carol.id))
    assert given.tags == ("teamwork", "mentoring")
    assert given.delivery_id == payload["id"]


async def test_dm_text_names_the_server_and_escapes_the_reason(bot: Bot) -> None:
    w = bot.world
    await bot.reply(await bot.interact(w.alice, kudos(w.bob, reason="for *all* the help @here")))

    await bot.fake.wait_until(lambda: len(bot.fake.direct_messages()) == 1)
    ((recipient, dm),) = bot.fake.direct_messages()
    assert recipient == w.bob.id
    assert dm.json["content"] == (
        "**Alice** thanked you in **Test \\*Server\\***!\n> for \\*all\\* the help @\u200bhere"
    )
    assert dm.json["allowed_mentions"] == {"parse": []}


async def test_mass_mentions_in_the_reason_ping_nobody(bot: Bot) -> None:
    w = bot.world
    reason = (
        f"for the launch @everyone @here <@&{w.guild.id}> <@{w.dave.id}> <@!{w.dave.id}> "
        "**bold** [a link](https://example.com)"
    )
    payload = await bot.interact(w.alice, kudos(w.bob, reason=reason))
    await bot.reply(payload)
    (post,) = await bot.channel_posts(w.general)

    # Only Bob may be pinged: no @everyone/@here/role parsing, and Dave is not listed.
    assert post.json["allowed_mentions"] == {"parse": [], "users": [w.bob.id]}
    content = post.json["content"]
    assert "@everyone" not in content and "@here" not in content
    assert f"<@{w.dave.id}>" not in content and f"<@!{w.dave.id}>" not in content
    assert f"<@&{w.guild.id}>" not in content
    assert "\\*\\*bold\\*\\*" in content
    # Dave is only text in Bob's thank-you: he was not thanked.
    async with bot.store.uow() as uow:
        (given,) = await uow.kudos.given_by(w.community_id, str(w.alice.id))
    assert given.recipient_ids == (str(w.bob.id),)


async def test_unprompted_is_shown_and_kept(bot: Bot) -> None:
    w = bot.world
    payload = await bot.interact(
        w.alice, kudos(w.bob, reason="for fixing the flaky test unasked", unprompted=True)
    )
    answer = await bot.reply(payload)
    assert "(helped without being asked)" in answer.json["content"]
    (post,) = await bot.channel_posts(w.general)
    assert "for helping without being asked" in post.json["content"]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("   ", "a reason of at least 10 characters"),
        (
            "\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b",
            "(yours has 0)",
        ),
        ("x" * 5000, "please keep it under 1,000"),
        ("thanks!", "(yours has 7)"),
    ],
    ids=["blank", "zero-width", "huge", "short"],
)
async def test_bad_reasons_are_refused_and_nothing_is_posted(
    bot: Bot, reason: str, expected: str
) -> None:
    w = bot.world
    text = await bot.reply_text(w.alice, kudos(w.bob, reason=reason))
    assert expected in text
    assert await kudos_count(bot) == 0
    assert bot.fake.calls("POST", f"/channels/{w.general.id}/messages") == []


async def test_thanking_a_bot_yourself_or_a_non_member_is_refused(bot: Bot) -> None:
    w = bot.world
    to_bot = await bot.reply_text(w.alice, kudos(w.helper_bot, reason="for the nice reminders"))
    assert "Helper Bot is a bot" in to_bot
    to_self = await bot.reply_text(w.alice, kudos(w.alice, reason="for being great at this"))
    assert "Thanking yourself doesn't count" in to_self
    outsider = await bot.reply_text(
        w.alice, kudos(w.outsider, reason="for help from outside", outsiders=(w.outsider,))
    )
    assert "couldn't find one of the people" in outsider
    assert await kudos_count(bot) == 0


async def test_bad_values_are_refused(bot: Bot) -> None:
    w = bot.world
    text = await bot.reply_text(
        w.alice, kudos(w.bob, reason="for the careful review", values="team<@&1>work")
    )
    assert "is not a value I can keep" in text
    too_many = await bot.reply_text(
        w.alice, kudos(w.bob, reason="for the careful review", values="a b c d e f")
    )
    assert "at most 5 values" in too_many
    assert await kudos_count(bot) == 0


async def test_the_same_member_twice_is_thanked_once(bot: Bot) -> None:
    w = bot.world
    text = await bot.reply_text(w.alice, kudos(w.bob, w.bob, reason="for the careful review"))
    assert text.startswith("Your thanks to Bob is recorded")


async def test_a_redelivered_interaction_records_nothing_twice(bot: Bot) -> None:
    w = bot.world
    payload = bot.fake.interaction(w.guild, w.alice, kudos(w.bob, reason="for the careful review"))
    await bot.fake.send_interaction(payload)
    await bot.reply(payload)
    await bot.channel_posts(w.general)
    await bot.fake.send_interaction(payload)  # the same interaction id again
    (_, second) = await bot.followups(payload, count=2)
    assert second.json["content"] == "Already recorded: this thank-you was delivered twice."
    assert await kudos_count(bot) == 1
    assert len(bot.fake.calls("POST", f"/channels/{w.general.id}/messages")) == 1


async def test_thank_you_falls_back_to_a_public_answer_where_the_bot_may_not_post(
    bot: Bot,
) -> None:
    w = bot.world
    payload = await bot.interact(
        w.alice, kudos(w.bob, reason="for the careful review"), channel=w.quiet
    )
    private, public = await bot.followups(payload, count=2)
    assert private.json["flags"] & EPHEMERAL
    assert not (public.json.get("flags") or 0) & EPHEMERAL
    assert public.json["content"].startswith(f"**Alice** thanked <@{w.bob.id}>")
    assert public.json["allowed_mentions"] == {"parse": [], "users": [w.bob.id]}


async def test_a_recipient_with_closed_dms_is_not_an_error(bot: Bot) -> None:
    w = bot.world
    bot.fake.closed_dms.add(w.bob.id)
    payload = await bot.interact(w.alice, kudos(w.bob, w.carol, reason="for the careful review"))
    answer = await bot.reply(payload)
    assert answer.json["content"].startswith("Your thanks to Bob and Carol is recorded")
    # Bob's DM is refused (50007); Carol's still goes out.
    await bot.fake.wait_until(lambda: len(bot.fake.direct_messages()) == 2)
    assert sorted(user for user, _ in bot.fake.direct_messages()) == [w.bob.id, w.carol.id]
    assert await kudos_count(bot) == 1


async def test_offer_add_list_close_and_renew(bot: Bot) -> None:
    w = bot.world
    added = await bot.reply_text(
        w.alice, p.slash("offer", p.subcommand("add", p.text("text", "I can pair on *SQL* tuning")))
    )
    assert added.startswith("Offer #1 is open for 30 days")
    assert "\\*SQL\\*" in added  # escaped: shown as typed
    listed = await bot.reply_text(
        w.bob, p.slash("offer", p.subcommand("list", p.text("search", "sql")))
    )
    assert "\\#1 Alice: I can pair on \\*SQL\\* tuning" in listed
    not_yours = await bot.reply_text(
        w.bob, p.slash("offer", p.subcommand("close", p.number("id", 1)))
    )
    assert "isn't yours" in not_yours or "only" in not_yours.lower()
    renewed = await bot.reply_text(
        w.alice, p.slash("offer", p.subcommand("renew", p.number("id", 1)))
    )
    assert "#1" in renewed
    closed = await bot.reply_text(
        w.alice, p.slash("offer", p.subcommand("close", p.number("id", 1)))
    )
    assert "closed" in closed.lower()
    empty = await bot.reply_text(w.bob, p.slash("offer", p.subcommand("list")))
    assert "no open offers" in empty.lower()


async def test_offer_bad_input(bot: Bot) -> None:
    w = bot.world
    short = await bot.reply_text(
        w.alice, p.slash("offer", p.subcommand("add", p.text("text", "\u200b")))
    )
    assert "What would you like to offer?" in short
    missing = await bot.reply_text(
        w.alice, p.slash("offer", p.subcommand("close", p.number("id", 999)))
    )
    assert "999" in missing


async def test_connections_me_optout_optin(bot: Bot) -> None:
    w = bot.world
    await bot.reply_text(w.alice, kudos(w.bob, reason="for the careful review"))
    me = await bot.reply_text(w.bob, p.slash("connections", p.subcommand("me")))
    assert "Thanks received: 1" in me and "from Alice" in me
    out = await bot.reply_text(w.bob, p.slash("connections", p.subcommand("optout")))
    assert "no longer name you" in out
    back = await bot.reply_text(w.bob, p.slash("connections", p.subcommand("optin")))
    assert "Welcome back" in back


async def test_export_arrives_as_a_private_json_attachment(bot: Bot) -> None:
    w = bot.world
    await bot.reply_text(w.alice, kudos(w.bob, reason="for the careful review"))
    payload = await bot.interact(w.alice, p.slash("connections", p.subcommand("export")))
    answer = await bot.reply(payload)
    assert answer.json["flags"] & EPHEMERAL
    assert answer.json["attachments"][0]["filename"] == "smart-connections-export.json"
    data = json.loads(answer.files["smart-connections-export.json"])
    assert data["member"]["id"] == str(w.alice.id)
    assert [k["reason"] for k in data["kudos_given"]] == ["for the careful review"]


async def test_forget_asks_first_then_erases(bot: Bot) -> None:
    w = bot.world
    await bot.reply_text(w.alice, kudos(w.bob, reason="for the careful review"))
    asked = await bot.reply_text(w.alice, p.slash("connections", p.subcommand("forget")))
    assert "/connections forget confirm:True" in asked
    assert await kudos_count(bot) == 1
    done = await bot.reply_text(
        w.alice, p.slash("connections", p.subcommand("forget", p.flag("confirm", True)))
    )
    assert done.startswith("Done: your offers are deleted")
    assert await kudos_count(bot) == 0


async def test_help_lists_the_discord_commands(bot: Bot) -> None:
    w = bot.world
    payload = await bot.interact(w.bob, p.slash("connections", p.subcommand("help")))
    callback = await bot.callback(payload)
    assert callback.json["type"] == 4  # answered at once: nothing to look up
    message = callback.json["data"]
    assert message["flags"] & EPHEMERAL
    assert message["allowed_mentions"] == {"parse": []}
    (embed,) = message["embeds"]
    assert "/kudos member:" in embed["description"]
    assert "/connections-admin digest channel" in embed["description"]
    assert len(embed["description"]) <= 4096


async def test_commands_in_a_dm_say_the_bot_works_in_servers(bot: Bot) -> None:
    payload = bot.fake.interaction(
        None, bot.world.alice, p.slash("connections", p.subcommand("me"))
    )
    await bot.fake.send_interaction(payload)
    callback = await bot.callback(payload)
    assert callback.json["type"] == 4
    assert callback.json["data"]["content"] == NOT_IN_A_SERVER
    assert callback.json["data"]["flags"] & EPHEMERAL


async def test_interactions_from_bots_are_ignored(bot: Bot) -> None:
    w = bot.world
    ignored = await bot.interact(w.helper_bot, kudos(w.bob, reason="for the careful review"))
    # A later interaction is answered, the bot's never is.
    await bot.reply_text(w.alice, p.slash("connections", p.subcommand("me")))
    assert bot.fake.answers_to(ignored) == []
    assert await kudos_count(bot) == 0


async def test_a_long_reply_is_split_into_messages_discord_accepts(bot: Bot) -> None:
    w = bot.world
    # Ten offers whose text is all markdown characters: escaped, the list doubles in size.
    for i, member in enumerate([w.alice] * 5 + [w.bob] * 5):
        text = f"{i} " + "*" * 480
        await bot.reply_text(member, p.slash("offer", p.subcommand("add", p.text("text", text))))
    payload = await bot.interact(w.carol, p.slash("offer", p.subcommand("list")))
    await bot.callback(payload)
    path = f"/webhooks/{APP_ID}/{payload['token']}"
    await bot.fake.wait_until(lambda: len([r for r in bot.fake.requests if r.path == path]) >= 3)
    await bot.reply_text(w.carol, p.slash("connections", p.subcommand("me")))  # all sent by now
    messages = [r.json for r in bot.fake.requests if r.path == path]
    assert len(messages) == 3
    assert all(m["flags"] & EPHEMERAL and len(m["content"]) <= 2000 for m in messages)
    parts = [m["content"] for m in messages]
    # Nothing is lost: every offer line (text shortened to 200 by the core) is there.
    assert sum(part.count("\\*") for part in parts) == 10 * 197
    assert all(f"\\#{n} " in "".join(parts) for n in range(1, 11))


async def test_kudos_and_its_redelivery_on_each_database(bot_on_each_database: Bot) -> None:
    bot = bot_on_each_database
    w = bot.world
    payload = bot.fake.interaction(w.guild, w.alice, kudos(w.bob, reason="for the careful review"))
    for _ in range(2):
        await bot.fake.send_interaction(payload)
    first, second = await bot.followups(payload, count=2)
    texts = sorted([first.json["content"], second.json["content"]])
    assert texts == [
        "Already recorded: this thank-you was delivered twice.",
        "Your thanks to Bob is recorded. Thank you for noticing!",
    ]
    assert await kudos_count(bot) == 1


async def test_a_command_discord_no_longer_has_is_answered(bot: Bot) -> None:
    payload = await bot.interact(bot.world.alice, p.slash("thanks-old-name"))
    callback = await bot.callback(payload)
    assert callback.json["data"]["content"] == OUT_OF_DATE
    assert callback.json["data"]["flags"] & EPHEMERAL


async def test_an_unresolved_member_is_looked_up(bot: Bot) -> None:
    w = bot.world
    # Options Discord sent without resolving them: the guild cache, else REST, says who.
    cached = p.slash("kudos", p.member("member", w.bob), p.text("reason", "for the careful review"))
    assert (await bot.reply_text(w.alice, cached)).startswith("Your thanks to Bob is recorded")
    gone = p.slash("kudos", p.member("member", w.outsider), p.text("reason", "for the old help"))
    assert "couldn't find one of the people" in await bot.reply_text(w.alice, gone)
    assert bot.fake.calls("GET", f"/guilds/{w.guild.id}/members/{w.outsider.id}")


async def test_a_failure_gets_an_apology_not_silence(bot: Bot) -> None:
    w = bot.world
    bot.fake.fail_member_lookups = True  # Discord errs when asked who the member is
    data = p.slash("kudos", p.member("member", w.outsider), p.text("reason", "for the old help"))
    answer = await bot.reply(await bot.interact(w.alice, data))
    assert answer.json["content"] == SORRY
    assert answer.json["flags"] & EPHEMERAL
    assert await kudos_count(bot) == 0
