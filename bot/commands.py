"""Platform-neutral commands: what a member asked for, already parsed by an adapter."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GiveKudos:
    recipient_ids: tuple[str, ...]
    reason: str
    tags: tuple[str, ...] = ()
    unprompted: bool = False
    delivery_id: str | None = None


@dataclass(frozen=True)
class CreateOffer:
    text: str
    delivery_id: str | None = None


@dataclass(frozen=True)
class ListOffers:
    query: str = ""
    page: int = 1


@dataclass(frozen=True)
class CloseOffer:
    offer_id: int


@dataclass(frozen=True)
class RenewOffer:
    offer_id: int


@dataclass(frozen=True)
class ShowMe:
    pass


@dataclass(frozen=True)
class OptOut:
    pass


@dataclass(frozen=True)
class OptIn:
    pass


@dataclass(frozen=True)
class ExportMyData:
    pass


@dataclass(frozen=True)
class ForgetMe:
    confirmed: bool = False


@dataclass(frozen=True)
class ShowHelp:
    topic: str = ""


@dataclass(frozen=True)
class Invalid:
    """Input that could not be parsed; `message` says why and how to fix it."""

    message: str


# --- admin -----------------------------------------------------------------


@dataclass(frozen=True)
class SetDigestChannel:
    channel_id: str


@dataclass(frozen=True)
class SetDigestSchedule:
    weekday: int
    time: str
    timezone: str | None = None  # None keeps the community's current time zone


@dataclass(frozen=True)
class PauseDigest:
    pass


@dataclass(frozen=True)
class ResumeDigest:
    pass


@dataclass(frozen=True)
class PreviewDigest:
    pass


@dataclass(frozen=True)
class SendDigestNow:
    pass


@dataclass(frozen=True)
class AddPrompt:
    text: str


@dataclass(frozen=True)
class ListPrompts:
    pass


@dataclass(frozen=True)
class RemovePrompt:
    prompt_id: int


@dataclass(frozen=True)
class SetLimit:
    kind: str  # "daily" | "reason" | "burst"
    value: int


@dataclass(frozen=True)
class HideKudos:
    """Leave a kudos out of digests (or, with hidden=False, put it back)."""

    kudos_id: int
    hidden: bool = True


@dataclass(frozen=True)
class ListRecentKudos:
    """The latest kudos with their numbers, so that an admin can hide one."""


@dataclass(frozen=True)
class ShowStats:
    pass


@dataclass(frozen=True)
class GrantAdmin:
    member_id: str


@dataclass(frozen=True)
class RevokeAdmin:
    member_id: str


@dataclass(frozen=True)
class SetReactionEmoji:
    """Reacting with this emoji thanks a message's author; None turns reactions off."""

    emoji: str | None


MemberCommand = (
    GiveKudos
    | CreateOffer
    | ListOffers
    | CloseOffer
    | RenewOffer
    | ShowMe
    | OptOut
    | OptIn
    | ExportMyData
    | ForgetMe
    | ShowHelp
    | Invalid
)
AdminCommand = (
    SetDigestChannel
    | SetDigestSchedule
    | PauseDigest
    | ResumeDigest
    | PreviewDigest
    | SendDigestNow
    | AddPrompt
    | ListPrompts
    | RemovePrompt
    | SetLimit
    | ShowStats
    | GrantAdmin
    | RevokeAdmin
    | SetReactionEmoji
    | HideKudos
    | ListRecentKudos
)
Command = MemberCommand | AdminCommand
ADMIN_COMMANDS: tuple[type, ...] = AdminCommand.__args__
