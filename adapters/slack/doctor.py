"""`doctor`'s Slack check: does Slack accept the bot token (auth.test)?"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

CHECK_TIMEOUT_SECONDS = 10.0


async def check_bot_token(token: str, base_url: str) -> tuple[bool, str]:
    # No retries: the doctor reports what happens on the first try, quietly.
    client = AsyncWebClient(
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        retry_handlers=[],
        logger=logging.getLogger(__name__),
    )
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            answer = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown_error") if exc.response else "no answer"
        return False, f"Slack refused SLACK_BOT_TOKEN ({error}): create or reinstall the app"
    except (TimeoutError, OSError) as exc:
        return False, f"cannot reach Slack at {base_url} ({type(exc).__name__})"
    return True, f"token accepted: team {answer.get('team')} ({answer.get('team_id')})"
