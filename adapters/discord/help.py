"""`/connections help` on Discord: the same commands as elsewhere, with their typed options."""

from __future__ import annotations

MEMBER_HELP = """\
**Smart Connections**: thank people for their help, offer yours, and see it celebrated \
in a weekly digest.

`/kudos member: reason: [member2:] [member3:] [values:] [unprompted:]`
  Thank up to three people in your own words, e.g. reason: *for untangling the release \
script*, values: *teamwork, mentoring*. Set unprompted to True when they helped without \
being asked.
Right-click a member or a message → Apps → **Thank this member** / **Thank the author**
  The same, from a form.
`/offer add text:` offer help to anyone, e.g. *I can pair on SQL query tuning* (open 30 days)
`/offer list [search:] [page:]` open offers, newest first
`/offer close id:` · `/offer renew id:` close your offer · keep it open 30 more days
`/connections me` your last 30 days: thanks given and received, your offers
`/connections optout` · `/connections optin` don't name me in digests · name me again
`/connections export` everything I keep about you, as a JSON file
`/connections forget confirm:True` delete your offers, erase your name and words
Only you see my answers; a thank-you is also posted in the channel, pinging only the \
people thanked."""

ADMIN_HELP = """\
**Admins** (Manage Server, or named with grant):
`/connections-admin digest channel channel:` where the weekly digest goes
`/connections-admin digest schedule day: time: [timezone:]` e.g. mon, 09:00, Europe/Berlin
`/connections-admin digest pause` · `resume` · `preview` · `now`
`/connections-admin prompt add text:` · `prompt list` · `prompt remove id:`
`/connections-admin limit daily value:` · `limit reason value:` kudos a day (0 = off) · \
shortest reason
`/connections-admin limit burst value:` kudos a minute per member (0 = off)
`/connections-admin recent` · `hide id:` · `unhide id:` the latest kudos with their numbers · \
leave one out of digests · put it back
`/connections-admin grant member:` · `revoke member:` name or un-name an admin
`/connections-admin stats` the last 8 weeks"""

HELP = MEMBER_HELP + "\n\n" + ADMIN_HELP
