"""The console session: reads the text grammar line by line, answers as the core does."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

from adapters.console.directory import COMMUNITY_ID, RESERVED, member_id
from adapters.console.render import render_reply
from bot import commands as c
from bot.domain import Actor
from bot.parsing import CONSOLE_SYNTAX, parse_connections, parse_kudos, parse_offer
from bot.service import ConnectionsService

WELCOME = (
    "Smart Connections console ({community}). You are {name}{admin}.\n"
    "Type /connections help for the commands, /as NAME to become someone else, /quit to leave."
)
UNKNOWN = (
    "I only understand /kudos, /offer, /connections, /as NAME and /quit. Try /connections help."
)


class ConsoleSession:
    def __init__(
        self,
        service: ConnectionsService,
        write: Callable[[str], None],
        name: str,
        admin: bool = False,
    ) -> None:
        self.service = service
        self.write = write
        self.actor = self._actor(name, admin)

    @staticmethod
    def _actor(name: str, admin: bool) -> Actor:
        return Actor(
            community_id=COMMUNITY_ID,
            member_id=member_id(name),
            display_name=name.strip().lstrip("@"),
            is_platform_admin=admin,
            channel_id="general",
        )

    def welcome(self) -> str:
        return WELCOME.format(
            community=COMMUNITY_ID,
            name=self.actor.display_name,
            admin=" (admin)" if self.actor.is_platform_admin else "",
        )

    def parse(self, line: str) -> c.Command | None:
        head, _, rest = line.strip().partition(" ")
        head = head.lower()
        if head == "/kudos":
            command = parse_kudos(rest, CONSOLE_SYNTAX)
            if isinstance(command, c.GiveKudos):
                # Console names are case-insensitive: @Bob and @bob are one member.
                ids = tuple(member_id(r) for r in command.recipient_ids)
                command = replace(command, recipient_ids=ids)
            return command
        if head == "/offer":
            return parse_offer(rest)
        if head == "/connections":
            return parse_connections(rest, CONSOLE_SYNTAX)
        if head in ("/help", "help"):
            return c.ShowHelp()
        return None

    async def handle_line(self, line: str) -> bool:
        """Answer one line; False when the session should end."""
        line = line.strip()
        if not line:
            return True
        head, _, rest = line.partition(" ")
        if head.lower() in ("/quit", "/exit"):
            return False
        if head.lower() == "/as":
            self._switch(rest)
            return True
        command = self.parse(line)
        if command is None:
            self.write(UNKNOWN)
            return True
        reply = await self.service.handle(self.actor, command)
        self.write(render_reply(reply))
        return True

    def _switch(self, rest: str) -> None:
        words = rest.split()
        if not words or member_id(words[0]) in RESERVED or len(words[0]) > 40:
            self.write("Usage: /as NAME [admin], e.g. /as bob")
            return
        admin = len(words) > 1 and words[1].lower() in ("admin", "--admin")
        self.actor = self._actor(words[0], admin)
        self.write(f"You are now {self.actor.display_name}{' (admin)' if admin else ''}.")

    async def run(self, lines: AsyncIterator[str]) -> None:
        async for line in lines:
            if not await self.handle_line(line):
                break


async def stdin_lines(prompt: str = "> ") -> AsyncIterator[str]:
    """Lines from a terminal (with readline history) or from a pipe, without blocking the loop."""
    interactive = sys.stdin.isatty()
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (imported for its side effect: line editing)
    while True:
        try:
            if interactive:
                line = await asyncio.to_thread(input, prompt)
            else:
                line = await asyncio.to_thread(sys.stdin.readline)
                if not line:
                    return
        except EOFError:
            return
        yield line
