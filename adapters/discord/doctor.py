"""`doctor`'s Discord check: does Discord accept the bot token (GET /users/@me)?"""

from __future__ import annotations

import asyncio

import aiohttp

from adapters.discord.endpoints import rest_base

CHECK_TIMEOUT_SECONDS = 10.0


async def check_bot_token(token: str, api_base_url: str | None) -> tuple[bool, str]:
    base = rest_base(api_base_url)
    try:
        async with (
            asyncio.timeout(CHECK_TIMEOUT_SECONDS),
            aiohttp.ClientSession() as session,
            session.get(f"{base}/users/@me", headers={"Authorization": f"Bot {token}"}) as r,
        ):
            if r.status == 401:
                return False, "Discord refused DISCORD_TOKEN: reset the bot token and set it again"
            if r.status != 200:
                return False, f"Discord answered {r.status} to a token check"
            me = await r.json(content_type=None)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        return False, f"cannot reach Discord at {base} ({type(exc).__name__})"
    return True, f"token accepted: bot {me.get('username')} ({me.get('id')})"
