"""Console members: anyone named with @name exists (created on first use); @bot is a bot."""

from __future__ import annotations

import re

from bot.domain import FORGOTTEN_MEMBER, MemberInfo

COMMUNITY_ID = "console:local"
BOT_NAMES = frozenset({"bot"})
# Broadcast words and the erased-member placeholder are never members:
# "@everyone" must not thank (or ping) a person.
RESERVED = frozenset({"everyone", "here", "channel", "all", FORGOTTEN_MEMBER})
_NAME = re.compile(r"^[\w.\-]{1,40}$")


def member_id(name: str) -> str:
    return name.strip().lstrip("@").lower()


class ConsoleDirectory:
    async def lookup(self, community_id: str, member_id_: str) -> MemberInfo | None:
        name = member_id(member_id_)
        if not _NAME.match(name) or name in RESERVED:
            return None
        return MemberInfo(id=name, display_name=name, is_bot=name in BOT_NAMES)
