"""The prompt of the week: admins' own prompts in rotation, else the built-in ones.

Rotation never repeats a prompt until every one has been used: admin prompts go least
recently used first (never-used ones first, oldest added first), tracked by
`prompts.last_used_at`; the built-ins keep a per-community cursor in the app state. A
prompt only counts as used once a digest carrying it has been posted, so a preview shows
what the next digest will say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import CommunityId, Prompt
from bot.ports import UnitOfWork

# Each invites helping someone *without being asked*: noticing, offering, unblocking.
BUILT_IN_PROMPTS: tuple[str, ...] = (
    "Review a pull request, document or plan nobody asked you to look at, and say what "
    "you liked about it.",
    "Notice someone stuck on something you know well, and offer twenty minutes of pairing "
    "before they ask.",
    "Answer a question in a channel you don't usually read.",
    "Write down something you had to learn the hard way, so the next person doesn't have to.",
    "Ask a newer colleague what slowed them down this week, and clear one obstacle for them.",
    "Fix a small annoyance everyone works around: a flaky test, a broken link, a missing "
    "line in a README.",
    "Share a shortcut, tool or trick that saves you time, without waiting to be asked.",
    "Introduce two people who should know each other, and tell each of them why.",
    "Take a task off a busy teammate's plate before they have to ask for help.",
    "Offer what you're good at with /offer: someone may need it and not know whom to ask.",
)


def builtin_cursor_key(community_id: CommunityId) -> str:
    return f"digest.builtin_prompt_cursor:{community_id}"


@dataclass(frozen=True)
class PromptChoice:
    """The chosen prompt, and what marks it used: an admin prompt's id, or the built-in
    cursor position."""

    text: str
    prompt_id: int | None = None
    builtin_position: int | None = None


def _least_recently_used(prompts: list[Prompt]) -> Prompt:
    return min(
        prompts,
        key=lambda p: (p.last_used_at is not None, p.last_used_at or p.created_at, p.id or 0),
    )


async def next_prompt(uow: UnitOfWork, community_id: CommunityId) -> PromptChoice:
    own = await uow.prompts.list(community_id)
    if own:
        chosen = _least_recently_used(own)
        return PromptChoice(text=chosen.text, prompt_id=chosen.id)
    raw = await uow.state.get(builtin_cursor_key(community_id))
    position = int(raw) if raw is not None and raw.isdecimal() else 0
    return PromptChoice(
        text=BUILT_IN_PROMPTS[position % len(BUILT_IN_PROMPTS)], builtin_position=position
    )


async def mark_prompt_used(
    uow: UnitOfWork, community_id: CommunityId, choice: PromptChoice, at: datetime
) -> None:
    if choice.prompt_id is not None:
        await uow.prompts.mark_used(community_id, choice.prompt_id, at)
    elif choice.builtin_position is not None:
        following = (choice.builtin_position + 1) % len(BUILT_IN_PROMPTS)
        await uow.state.put(builtin_cursor_key(community_id), str(following))
