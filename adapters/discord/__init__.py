"""The Discord adapter: app commands, context menus and digests through discord.py."""
