"""Help lists every command, each with an example that really works."""

from __future__ import annotations

from typing import get_args

import pytest

from bot import commands as c
from bot.parsing import CONSOLE_SYNTAX, parse_connections, parse_kudos, parse_offer
from tests.unit.driver import Chat

# Every command a member or an admin can type, as the help shows it.
EXAMPLES: list[tuple[str, type]] = [
    ("/kudos @alice @bob for untangling the release script #teamwork #unprompted", c.GiveKudos),
    ("/offer I can pair on SQL query tuning", c.CreateOffer),
    ("/offer list sql", c.ListOffers),
    ('"page 2"', c.ListOffers),
    ("/offer close 12", c.CloseOffer),
    ("/offer renew 12", c.RenewOffer),
    ("/connections me", c.ShowMe),
    ("/connections optout", c.OptOut),
    ("/connections optin", c.OptIn),
    ("/connections export", c.ExportMyData),
    ("/connections forget", c.ForgetMe),
    ("/connections help", c.ShowHelp),
    ("/connections admin digest channel #general", c.SetDigestChannel),
    ("/connections admin digest schedule mon 09:00 Europe/Berlin", c.SetDigestSchedule),
    ("/connections admin digest pause", c.PauseDigest),
    ("/connections admin digest pause | resume", c.ResumeDigest),
    ("/connections admin digest pause | resume | preview", c.PreviewDigest),
    ("/connections admin digest pause | resume | preview | now", c.SendDigestNow),
    (
        "/connections admin prompt add Review a pull request you were not asked to review",
        c.AddPrompt,
    ),
    ("/connections admin prompt list", c.ListPrompts),
    ("prompt remove 3", c.RemovePrompt),
    ("/connections admin limit daily 10", c.SetLimit),
    ("limit reason 15", c.SetLimit),
    ("/connections admin grant @alice", c.GrantAdmin),
    ("revoke @alice", c.RevokeAdmin),
    ("/connections admin stats", c.ShowStats),
    ("/connections admin reaction :raised_hands: | off", c.SetReactionEmoji),
    ("/connections admin recent", c.ListRecentKudos),
    ("/connections admin hide 123", c.HideKudos),
    ("/connections admin limit burst 5", c.SetLimit),
]


def parse_example(example: str) -> c.Command:
    """The command an example in the help stands for (alternatives: the last one)."""
    example = example.strip('"')
    if " | " in example:
        head, *alternatives = example.split(" | ")
        example = head.rsplit(" ", 1)[0] + " " + alternatives[-1]
    if example.startswith("page "):
        return parse_offer(f"list sql {example}")
    if example.startswith(("prompt", "limit", "revoke")):
        return parse_connections(f"admin {example}", CONSOLE_SYNTAX)
    command, _, rest = example.partition(" ")
    if command == "/kudos":
        return parse_kudos(rest, CONSOLE_SYNTAX)
    if command == "/offer":
        return parse_offer(rest)
    return parse_connections(rest, CONSOLE_SYNTAX)


def test_every_command_type_has_an_example() -> None:
    member_and_admin = set(get_args(c.MemberCommand)) | set(get_args(c.AdminCommand))
    not_typed = {c.Invalid}

    assert {kind for _, kind in EXAMPLES} == member_and_admin - not_typed


@pytest.mark.parametrize(("example", "kind"), EXAMPLES)
async def test_help_shows_a_working_example_of_each_command(
    chat: Chat, example: str, kind: type
) -> None:
    reply = await chat.connections("bob", "help")

    assert reply.ok
    assert example in reply.text
    assert type(parse_example(example)) is kind


@pytest.mark.parametrize(
    ("send", "text"),
    [("connections", ""), ("connections", "HELP"), ("offer", ""), ("offer", "help")],
)
async def test_help_is_what_an_empty_command_answers(chat: Chat, send: str, text: str) -> None:
    reply = await (chat.connections if send == "connections" else chat.offer)("bob", text)

    assert reply.ok
    assert "/kudos @alice" in reply.text and "/connections admin stats" in reply.text


async def test_an_unknown_command_points_to_help(chat: Chat) -> None:
    reply = await chat.connections("bob", "dance")

    assert not reply.ok
    assert "“dance”" in reply.text and "/connections help" in reply.text
