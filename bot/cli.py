"""`smart-connections` (and `python -m bot`): parses arguments, then hands over to bootstrap."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import bootstrap
from bot.errors import CommandLineError
from bot.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smart-connections",
        description="Smart Connections: kudos, offers of help and a weekly digest of "
        "unprompted help, for Slack, Discord and the console.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run the bot (the console when no token is set)")
    run.add_argument("--as", dest="name", default="you", help="console member name")

    console = sub.add_parser("console", help="use the bot in this terminal (console:local)")
    console.add_argument("--as", dest="name", required=True, help="who you are, e.g. alice")
    console.add_argument("--admin", action="store_true", help="with admin rights")

    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("upgrade", help="apply every migration")
    db_sub.add_parser("current", help="show the applied and the newest migration")

    digest = sub.add_parser("digest", help="preview or send a community's weekly digest")
    digest_sub = digest.add_subparsers(dest="digest_command", metavar="ACTION", required=True)
    for action, about in (
        ("preview", "print this week's digest (nothing is posted or marked used)"),
        ("send", "post this week's digest now (the scheduled one is then not posted)"),
    ):
        digest_action = digest_sub.add_parser(action, help=about)
        digest_action.add_argument(
            "--community",
            required=True,
            type=_community_id,
            metavar="ID",
            help="console:local, slack:T012AB or discord:1234",
        )

    sub.add_parser("doctor", help="check settings, database and tokens; say what is wrong")

    export = sub.add_parser("export", help="a community's full backup as JSON on stdout")
    export.add_argument("--community", required=True, help="e.g. slack:T012AB, discord:1234")
    restore = sub.add_parser("import", help="restore a community backup into this database")
    restore.add_argument("file", nargs="?", default="-", help="backup file (default: stdin)")

    discord = sub.add_parser("discord", help="Discord set-up")
    discord_sub = discord.add_subparsers(dest="discord_command", metavar="ACTION", required=True)
    sync = discord_sub.add_parser(
        "sync", help="sync the app commands now (the bot also does it when they change)"
    )
    sync.add_argument(
        "--guild", type=_snowflake, metavar="ID", help="only this server (appears at once)"
    )
    return parser


def _snowflake(text: str) -> int:
    if not text.strip().isdecimal() or len(text.strip()) > 20:
        raise argparse.ArgumentTypeError(f"“{text[:40]}” is not a Discord server id")
    return int(text)


def _community_id(text: str) -> str:
    platform, _, rest = text.strip().partition(":")
    if platform not in ("console", "slack", "discord") or not rest or len(text) > 100:
        example = "console:local, slack:T012AB or discord:1234"
        raise argparse.ArgumentTypeError(f"“{text[:100]}” is not a community id: use {example}")
    return text.strip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings()
    bootstrap.configure_logging(settings)
    try:
        if args.command in (None, "run"):
            asyncio.run(bootstrap.run(settings, console_name=getattr(args, "name", "you")))
        elif args.command == "console":
            asyncio.run(bootstrap.run_console(settings, name=args.name, admin=args.admin))
        elif args.command == "db" and args.db_command == "upgrade":
            revision = asyncio.run(bootstrap.db_upgrade(settings))
            print(f"database is at revision {revision}")
        elif args.command == "db" and args.db_command == "current":
            current, head = asyncio.run(bootstrap.db_current(settings))
            state = "up to date" if current == head else f"behind (newest is {head})"
            print(f"database is at revision {current or 'none'}: {state}")
        elif args.command == "digest":
            text, code = asyncio.run(
                bootstrap.digest_command(settings, args.digest_command, args.community)
            )
            print(text, file=sys.stdout if code == 0 else sys.stderr)
            return code
        elif args.command == "doctor":
            report, code = asyncio.run(bootstrap.doctor(settings))
            print(report)
            return code
        elif args.command == "export":
            return _export(settings, args.community)
        elif args.command == "import":
            return _import(settings, args.file)
        elif args.command == "discord" and args.discord_command == "sync":
            return _discord_sync(settings, args.guild)
    except KeyboardInterrupt:
        return 130
    return 0


def _export(settings: Settings, community_id: str) -> int:
    try:
        backup = asyncio.run(bootstrap.export_community(settings, community_id))
    except CommandLineError as exc:
        print(f"Nothing exported: {exc}.", file=sys.stderr)
        return 1
    json.dump(backup, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def _import(settings: Settings, path: str) -> int:
    try:
        raw = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        backup = json.loads(raw)
        counts = asyncio.run(bootstrap.import_community(settings, backup))
    except (OSError, ValueError, CommandLineError) as exc:
        print(f"Nothing imported: {exc}", file=sys.stderr)
        return 1
    print("Imported " + ", ".join(f"{n} {table}" for table, n in counts.items() if n))
    return 0


def _discord_sync(settings: Settings, guild_id: int | None) -> int:
    try:
        count = asyncio.run(bootstrap.discord_sync(settings, guild_id))
    except (CommandLineError, RuntimeError) as exc:
        print(f"Nothing synced: {exc}", file=sys.stderr)
        return 1
    where = f"server {guild_id}" if guild_id else "every server (may take a minute to show)"
    print(f"Synced {count} Discord commands to {where}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
