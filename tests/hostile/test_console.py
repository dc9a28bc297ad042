"""Every corpus input through every command of the console (the real session, core and
SQLite file): a clear answer, nothing a terminal would obey, nothing stored when refused."""

from __future__ import annotations

import pytest

from adapters.console.session import ConsoleSession
from tests.hostile.checks import check_clear, check_outcomes, check_terminal_safe
from tests.hostile.conftest import ConsoleWorld
from tests.hostile.corpus import TEXT_TEMPLATES, Entry, text_entries

pytestmark = pytest.mark.asyncio(loop_scope="module")

ENTRIES = text_entries()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
async def test_each_command_answers_clearly_and_refusals_store_nothing(
    console_world: ConsoleWorld, entry: Entry
) -> None:
    index = ENTRIES.index(entry)
    observed = console_world.observed
    for template in TEXT_TEMPLATES:
        what = f"{template.name} with {entry.id}"
        name = "ada" if template.admin else f"giver{index}"
        session = ConsoleSession(
            console_world.service, console_world.lines.append, name=name, admin=template.admin
        )
        console_world.lines.clear()
        observed.commits.changed()
        line = f"/{template.command} {template.fill(entry.text, f'@thanked{index}')}"

        await session.handle_line(line)

        output = "\n".join(console_world.lines)
        check_clear(output, what)
        check_terminal_safe(output, what)
        refused = check_outcomes(observed.metrics.take(), what)
        if refused:
            assert not observed.commits.changed(), f"{what}: refused, yet something was stored"
