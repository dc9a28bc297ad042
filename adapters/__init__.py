"""Adapters: each platform (console, Slack, Discord) translated to and from the core."""
