"""The store's part of the abuse controls, on SQLite and PostgreSQL: the burst limit column
(migration 0003 gives existing communities the default) and hiding or listing kudos."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.bootstrap import Store
from bot.domain import Community, Kudos
from bot.parsing import CONSOLE_SYNTAX, parse_kudos
from storage.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.databases import community_at_0002, migrate_to
from tests.harness import Harness

T0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


async def add(store: Store, community: str, minutes: int, giver: str = "alice") -> Kudos:
    async with store.uow() as uow:
        kudos = await uow.kudos.add(
            Kudos(
                community,
                giver,
                ("bob", "carol"),
                "for the help",
                ("team",),
                False,
                T0 + timedelta(minutes=minutes),
            )
        )
        await uow.commit()
    return kudos


async def test_the_burst_limit_is_saved(store: Store) -> None:
    async with store.uow() as uow:
        await uow.communities.save(replace(Community("console:a"), burst_kudos_limit=0))
        await uow.commit()
    async with store.uow() as uow:
        stored = await uow.communities.get("console:a")
        created = await uow.communities.get_or_create(Community("console:b"))
    assert stored is not None and stored.burst_kudos_limit == 0
    assert created.burst_kudos_limit == 5


async def test_kudos_are_listed_newest_first_hidden_and_shown_within_their_community(
    store: Store,
) -> None:
    first = await add(store, "console:a", 0)
    second = await add(store, "console:a", 5, giver="dave")
    other = await add(store, "console:b", 10)
    assert first.id and second.id and other.id

    async with store.uow() as uow:
        await uow.kudos.set_hidden("console:a", first.id, True)
        await uow.kudos.set_hidden("console:a", other.id, True)  # not this community's
        await uow.commit()

    async with store.uow() as uow:
        recent = await uow.kudos.recent("console:a", 10)
        one = await uow.kudos.recent("console:a", 1)
        got = await uow.kudos.get("console:a", first.id)
        foreign = await uow.kudos.get("console:a", other.id)
        theirs = await uow.kudos.get("console:b", other.id)
    assert [(k.id, k.hidden, k.recipient_ids) for k in recent] == [
        (second.id, False, ("bob", "carol")),
        (first.id, True, ("bob", "carol")),
    ]
    assert [k.id for k in one] == [second.id]
    assert got is not None and got.hidden and got.tags == ("team",)
    assert foreign is None
    assert theirs is not None and not theirs.hidden


async def test_migration_0003_gives_existing_communities_the_default(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        await migrate_to(engine, "0002", community_at_0002("console:old"))
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as connection:
            limit = await connection.scalar(
                text("SELECT burst_kudos_limit FROM communities WHERE id = 'console:old'")
            )
        assert limit == 5
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0002"))
            columns = await connection.run_sync(
                lambda sync: [c["name"] for c in inspect(sync).get_columns("communities")]
            )
        assert "burst_kudos_limit" not in columns
    finally:
        await engine.dispose()


async def test_a_burst_sent_all_at_once_is_limited_like_one_sent_in_a_row(
    harness: Harness,
) -> None:
    alice = harness.actor("alice")
    thanks = [
        parse_kudos(f"@bob for the help with part {n} of the release", CONSOLE_SYNTAX)
        for n in range(12)
    ]

    replies = await asyncio.gather(*(harness.service.handle(alice, k) for k in thanks))

    assert sum(r.ok for r in replies) == 5
    refused = [r.text for r in replies if not r.ok]
    assert len(refused) == 7 and all("in the last minute" in text for text in refused)
    async with harness.store.uow() as uow:
        assert len(await uow.kudos.given_by("console:local", "alice")) == 5
