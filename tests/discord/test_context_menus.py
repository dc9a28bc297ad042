""" "Thank this member" and "Thank the author": a form, whose submit records the kudos."""

from __future__ import annotations

from typing import Any

from adapters.discord.responder import SORRY
from adapters.discord.thank_menu import BOT_TARGET, SELF_TARGET
from tests.discord import payloads as p
from tests.discord.fake_discord import User
from tests.discord.harness import Bot, World

MODAL = 9
MODAL_SUBMIT = 5
EPHEMERAL = 64


def form_inputs(modal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """custom_id -> component of every input of a modal (inside its labels)."""
    return {c["component"]["custom_id"]: c["component"] for c in modal["components"]}


async def open_form(bot: Bot, user: User, data: dict[str, Any]) -> dict[str, Any]:
    payload = await bot.interact(user, data)
    callback = await bot.callback(payload)
    assert callback.json["type"] == MODAL, callback.json
    return dict(callback.json["data"])


async def kudos_of(bot: Bot, giver: User) -> list[Any]:
    async with bot.store.uow() as uow:
        return list(await uow.kudos.given_by(bot.world.community_id, str(giver.id)))


async def test_thank_this_member_opens_a_form_and_its_submit_records_the_kudos(bot: Bot) -> None:
    w: World = bot.world
    modal = await open_form(bot, w.alice, p.user_menu(w.bob))
    assert modal["title"] == "Thank Bob"
    inputs = form_inputs(modal)
    assert inputs["reason"]["type"] == 4 and inputs["reason"]["max_length"] == 1000
    assert inputs["values"]["required"] is False
    assert inputs["unprompted"]["type"] == 23  # a checkbox
    assert [c["label"] for c in modal["components"]] == [
        "What did they do?",
        "Values (optional)",
        "They helped without being asked",
    ]

    submit = await bot.interact(
        w.alice,
        p.form_submit(
            modal["custom_id"],
            "for pairing with me on the flaky test @everyone",
            values="teamwork",
            unprompted=True,
        ),
        kind=MODAL_SUBMIT,
    )
    answer = await bot.reply(submit)
    assert answer.json["content"].startswith("Your thanks to Bob is recorded (helped without")
    (post,) = await bot.channel_posts(w.general)
    assert post.json["allowed_mentions"] == {"parse": [], "users": [w.bob.id]}
    assert "@\u200beveryone" in post.json["content"]
    (given,) = await kudos_of(bot, w.alice)
    assert given.recipient_ids == (str(w.bob.id),)
    assert given.unprompted is True
    assert given.tags == ("teamwork",)
    assert given.delivery_id == submit["id"]


async def test_thank_the_author_thanks_whoever_wrote_the_message(bot: Bot) -> None:
    w = bot.world
    data = p.message_menu(w.carol, w.general, 900000000000000001, "Here is the fix @here")
    modal = await open_form(bot, w.alice, data)
    assert modal["title"] == "Thank Carol"
    submit = await bot.interact(
        w.alice,
        p.form_submit(modal["custom_id"], "for the fix to the deploy script"),
        kind=MODAL_SUBMIT,
    )
    answer = await bot.reply(submit)
    assert answer.json["content"] == "Your thanks to Carol is recorded. Thank you for noticing!"
    (given,) = await kudos_of(bot, w.alice)
    assert given.recipient_ids == (str(w.carol.id),)
    assert given.unprompted is False


async def test_a_form_submit_is_handled_even_if_the_bot_restarted_since_it_opened(
    bot: Bot,
) -> None:
    """The form keeps nothing in memory: a submit for a form this process never opened
    (a restart, another replica) still records the kudos."""
    w = bot.world
    custom_id = f"smart-connections:thank:{w.dave.id}"
    submit = await bot.interact(
        w.bob, p.form_submit(custom_id, "for covering my on-call shift"), kind=MODAL_SUBMIT
    )
    answer = await bot.reply(submit)
    assert answer.json["content"].startswith("Your thanks to Dave is recorded")


async def test_a_submit_with_a_bad_reason_is_refused_privately(bot: Bot) -> None:
    w = bot.world
    modal = await open_form(bot, w.alice, p.user_menu(w.bob))
    submit = await bot.interact(
        w.alice, p.form_submit(modal["custom_id"], "\u200b\u200b ty"), kind=MODAL_SUBMIT
    )
    answer = await bot.reply(submit)
    assert "a reason of at least 10 characters" in answer.json["content"]
    assert await kudos_of(bot, w.alice) == []
    assert bot.fake.calls("POST", f"/channels/{w.general.id}/messages") == []


async def test_a_tampered_form_is_refused(bot: Bot) -> None:
    w = bot.world
    submit = await bot.interact(
        w.alice,
        p.form_submit("smart-connections:thank:@everyone", "for everything you do"),
        kind=MODAL_SUBMIT,
    )
    answer = await bot.reply(submit)
    assert "out of date" in answer.json["content"]
    assert await kudos_of(bot, w.alice) == []


async def test_thanking_a_bot_or_yourself_is_refused_before_the_form(bot: Bot) -> None:
    w = bot.world
    for target, expected in ((w.helper_bot, BOT_TARGET), (w.alice, SELF_TARGET)):
        payload = await bot.interact(w.alice, p.user_menu(target))
        callback = await bot.callback(payload)
        assert callback.json["type"] == 4  # a message, not a form
        assert callback.json["data"]["content"] == expected
        assert callback.json["data"]["flags"] & EPHEMERAL


async def test_a_member_who_left_is_refused_on_submit(bot: Bot) -> None:
    w = bot.world
    outsider_form = f"smart-connections:thank:{w.outsider.id}"
    submit = await bot.interact(
        w.alice, p.form_submit(outsider_form, "for the help before leaving"), kind=MODAL_SUBMIT
    )
    answer = await bot.reply(submit)
    assert "couldn't find one of the people" in answer.json["content"]
    # It was looked up over REST (not in the guild cache), and Discord said "Unknown Member".
    assert bot.fake.calls("GET", f"/guilds/{w.guild.id}/members/{w.outsider.id}")


async def test_a_failure_while_submitting_gets_an_apology(bot: Bot) -> None:
    w = bot.world
    bot.fake.fail_member_lookups = True  # Discord errs when asked who the member is
    submit = await bot.interact(
        w.alice,
        p.form_submit(f"smart-connections:thank:{w.outsider.id}", "for the help last week"),
        kind=MODAL_SUBMIT,
    )
    answer = await bot.reply(submit)
    assert answer.json["content"] == SORRY
    assert await kudos_of(bot, w.alice) == []
