"""`smart-connections` (and `python -m bot`): parses arguments, then hands over to bootstrap."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bot import bootstrap
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
    return parser


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
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
