"""Where discord.py connects: Discord itself, or a proxy (rate-limit proxies; tests)."""

from __future__ import annotations

import re

import discord.gateway
import discord.http
import yarl

_API_VERSION = re.compile(r"/api/v\d+$")
DISCORD_API = "https://discord.com/api/v10"


def rest_base(api_base_url: str | None) -> str:
    """The REST address for a setting: Discord's own, or a proxy (with /api/v10 added)."""
    if not api_base_url:
        return DISCORD_API
    base = api_base_url.rstrip("/")
    return base if _API_VERSION.search(base) else f"{base}/api/v10"


def point_at(api_base_url: str | None, gateway_url: str | None) -> None:
    """Send REST calls to `api_base_url` (e.g. http://proxy:8080, or …/api/v10 for another
    API version) and open the gateway at `gateway_url` (e.g. wss://gateway-proxy:7878).

    discord.py keeps both addresses as class attributes, so this applies to every client in
    the process; it is called once, by the composition root, before a client starts.
    """
    if api_base_url:
        discord.http.Route.BASE = rest_base(api_base_url)
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
