"""Thank-you DMs in a big server: a member's DM channel is opened once, then reused."""

from __future__ import annotations

from tests.discord.harness import Bot
from tests.discord.test_member_commands import kudos


async def test_a_member_thanked_again_gets_the_dm_without_a_new_channel(bot: Bot) -> None:
    w = bot.world
    for n in range(3):
        reason = f"for the careful review number {n}"
        await bot.reply(await bot.interact(w.alice, kudos(w.bob, reason=reason)))
    await bot.fake.wait_until(lambda: len(bot.fake.direct_messages()) == 3)
    # One channel opened (discord.py alone remembers only 128), three DMs sent in it.
    assert len(bot.fake.calls("POST", "/users/@me/channels")) == 1
    dms = bot.fake.direct_messages()
    assert [user for user, _ in dms] == [w.bob.id] * 3
    assert [r.json["content"].count("review number") for _, r in dms] == [1, 1, 1]
    assert all(r.json["allowed_mentions"] == {"parse": []} for _, r in dms)


async def test_a_member_with_closed_dms_stays_refused_without_errors(bot: Bot) -> None:
    w = bot.world
    bot.fake.closed_dms.add(w.bob.id)
    for n in range(2):
        answer = await bot.reply(
            await bot.interact(w.alice, kudos(w.bob, reason=f"for the pairing session {n}"))
        )
        assert "recorded" in answer.json["content"]
    await bot.fake.wait_until(lambda: len(bot.fake.direct_messages()) == 2)
    assert [user for user, _ in bot.fake.direct_messages()] == [w.bob.id] * 2
