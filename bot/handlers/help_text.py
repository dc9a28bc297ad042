"""`help`: every command with an example."""

from __future__ import annotations

from bot.commands import ShowHelp
from bot.domain import Actor
from bot.handlers.context import Ports
from bot.replies import Reply

MEMBER_HELP = """\
Smart Connections: thank people for their help, offer yours, and see it celebrated weekly.

/kudos @alice @bob for untangling the release script #teamwork #unprompted
    Thank one or more people (up to 10), in your own words. #values are optional;
    #unprompted says they helped without being asked.
/offer I can pair on SQL query tuning
    Offer help to anyone who wants it (open for 30 days).
/offer list sql            search open offers (add "page 2" for more)
/offer close 12            close your offer #12
/offer renew 12            keep offer #12 open for another 30 days
/connections me            your last 30 days: thanks given and received, your offers
/connections optout        don't name me in digests
/connections optin         name me in digests again
/connections export        everything I keep about you, as JSON
/connections forget        erase your name and words (asks you to confirm)
/connections help          this list"""

ADMIN_HELP = """\
Admin commands:
/connections admin digest channel #general
/connections admin digest schedule mon 09:00 Europe/Berlin
/connections admin digest pause | resume | preview | now
/connections admin prompt add Review a pull request you were not asked to review
/connections admin prompt list | prompt remove 3
/connections admin limit daily 10 | limit reason 15   (daily 0 turns the limit off)
/connections admin limit burst 5   (kudos per member per minute; 0 turns it off)
/connections admin recent          the latest kudos, with their numbers
/connections admin hide 123 | unhide 123   (leave kudos #123 out of digests, or not)
/connections admin grant @alice | revoke @alice        (named admins)
/connections admin reaction :raised_hands: | off   (Slack: that reaction thanks)
/connections admin stats"""


async def show_help(ports: Ports, actor: Actor, command: ShowHelp) -> Reply:
    return Reply(text=MEMBER_HELP + "\n\n" + ADMIN_HELP)
