"""`smart-connections doctor`: what is set up, and what is wrong, in plain words."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings


@dataclass(frozen=True)
class Finding:
    topic: str
    ok: bool
    detail: str


def settings_findings(settings: Settings) -> list[Finding]:
    """Checks that need no network: which platforms would start, and missing companions."""
    found: list[Finding] = []
    if not settings.slack_enabled and settings.discord_token is None:
        found.append(Finding("mode", True, "no Slack or Discord token: `run` starts the console"))
    if settings.slack_enabled:
        if settings.slack_app_token is not None:
            found.append(Finding("slack", True, "Socket Mode (SLACK_APP_TOKEN is set)"))
        elif settings.slack_signing_secret is not None:
            found.append(Finding("slack", True, f"HTTP mode on {settings.host}:{settings.port}"))
        else:
            found.append(
                Finding(
                    "slack",
                    False,
                    "set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)",
                )
            )
        if (settings.slack_client_id is None) != (settings.slack_client_secret is None):
            found.append(
                Finding(
                    "slack",
                    False,
                    "OAuth needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET",
                )
            )
    if settings.discord_shards not in (None, "auto") and not (
        settings.discord_shards.isdecimal() and int(settings.discord_shards) > 0
    ):
        found.append(
            Finding("discord", False, "DISCORD_SHARDS must be `auto` or a number of shards")
        )
    if not 1 <= settings.port <= 65535:
        found.append(Finding("http", False, f"PORT {settings.port} is not a usable port"))
    return found


def render(findings: list[Finding]) -> str:
    lines = [f"{'ok ' if f.ok else 'FIX'}  {f.topic}: {f.detail}" for f in findings]
    problems = sum(1 for f in findings if not f.ok)
    lines.append("All good." if problems == 0 else f"{problems} problem(s) to fix before `run`.")
    return "\n".join(lines)
