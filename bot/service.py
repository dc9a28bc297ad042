"""The core's entry point: a command from an actor in, a platform-neutral Reply out."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot import commands as c
from bot.domain import Actor
from bot.errors import StoreUnavailableError
from bot.handlers import admin, help_text, kudos, members, moderation, offers
from bot.handlers.context import Ports, is_admin
from bot.replies import Reply, refuse

log = logging.getLogger(__name__)

Handler = Callable[[Ports, Actor, Any], Awaitable[Reply]]

TRY_AGAIN = "I can't reach my records right now. Nothing was saved; please try again in a minute."
NOT_ADMIN = (
    "Sorry, only admins of this community can do that. Ask an admin, or see "
    "/connections help for what you can do."
)


# One shared instance, so that handle() can tell an outage from an ordinary refusal.
_UNAVAILABLE = refuse(TRY_AGAIN)


class ConnectionsService:
    def __init__(self, ports: Ports) -> None:
        self.ports = ports
        self._handlers: dict[type, Handler] = {
            c.GiveKudos: kudos.give_kudos,
            c.CreateOffer: offers.create_offer,
            c.ListOffers: offers.list_offers,
            c.CloseOffer: offers.close_offer,
            c.RenewOffer: offers.renew_offer,
            c.ShowMe: members.show_me,
            c.OptOut: members.set_opt_out,
            c.OptIn: members.set_opt_out,
            c.ExportMyData: members.export_data,
            c.ForgetMe: members.forget,
            c.ShowHelp: help_text.show_help,
            c.SetDigestChannel: admin.set_channel,
            c.SetDigestSchedule: admin.set_schedule,
            c.PauseDigest: admin.pause,
            c.ResumeDigest: admin.pause,
            c.AddPrompt: admin.add_prompt,
            c.ListPrompts: admin.list_prompts,
            c.RemovePrompt: admin.remove_prompt,
            c.SetLimit: admin.set_limit,
            c.ShowStats: admin.show_stats,
            c.GrantAdmin: admin.set_admin,
            c.RevokeAdmin: admin.set_admin,
            c.HideKudos: moderation.hide_kudos,
            c.ListRecentKudos: moderation.list_recent,
        }

    def register(self, command_type: type, handler: Handler) -> None:
        """Lets later features (the digest) add their commands without editing this file."""
        self._handlers[command_type] = handler

    async def handle(self, actor: Actor, command: c.Command) -> Reply:
        name = type(command).__name__
        try:
            reply = await self._handle(actor, command)
        except Exception:
            self.ports.metrics.command_handled(name, "error")
            raise
        if reply is _UNAVAILABLE:
            self.ports.metrics.command_handled(name, "unavailable")
        else:
            self.ports.metrics.command_handled(name, "ok" if reply.ok else "refused")
            if isinstance(command, c.GiveKudos) and reply.announcement is not None:
                self.ports.metrics.kudos_recorded()
        return reply

    async def _handle(self, actor: Actor, command: c.Command) -> Reply:
        if isinstance(command, c.Invalid):
            return refuse(command.message)
        try:
            # Authority first: a non-admin learns nothing about admin commands beyond "no".
            if isinstance(command, c.ADMIN_COMMANDS):
                async with self.ports.uow() as uow:
                    allowed = await is_admin(uow, actor)
                if not allowed:
                    return refuse(NOT_ADMIN)
            handler = self._handlers.get(type(command))
            if handler is None:
                return refuse("That command isn't available here. See /connections help.")
            return await handler(self.ports, actor, command)
        except StoreUnavailableError:
            log.warning("store unavailable while handling %s", type(command).__name__)
            return _UNAVAILABLE
