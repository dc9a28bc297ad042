"""The SQL store behind the core, on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot import commands as c
from bot.bootstrap import Store, open_store
from bot.errors import DuplicateDeliveryError
from bot.parsing import CONSOLE_SYNTAX, parse_kudos
from bot.settings import Settings
from storage import tables as t
from storage.migrate import current_revision, head_revision, upgrade
from tests.databases import sqlite_url
from tests.harness import Harness


async def count(store: Store, table: t.Table) -> int:
    async with store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def test_migrations_reach_head_and_rerun_harmlessly(store: Store) -> None:
    assert await current_revision(store.engine) == head_revision()
    await upgrade(store.engine)  # a second replica starting: nothing to do, nothing breaks
    assert await current_revision(store.engine) == head_revision()


async def test_sqlite_runs_in_wal_with_a_busy_timeout(tmp_path: Path) -> None:
    async with (
        open_store(Settings(database_url=sqlite_url(tmp_path))) as sqlite_store,
        sqlite_store.engine.connect() as conn,
    ):
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar()
        assert int(timeout or 0) >= 5000


async def test_kudos_round_trip_through_the_core(harness: Harness) -> None:
    alice = harness.actor("alice")
    reply = await harness.service.handle(
        alice,
        parse_kudos(
            "@bob @carol for reviewing my migration so carefully #TeamWork", CONSOLE_SYNTAX
        ),
    )
    assert reply.ok, reply.text
    me = await harness.service.handle(harness.actor("bob"), c.ShowMe())
    assert "Thanks received: 1" in me.text
    assert "from alice: for reviewing my migration so carefully" in me.text
    async with harness.store.uow() as uow:
        [kudos] = await uow.kudos.given_by("console:local", "alice")
    assert kudos.recipient_ids == ("bob", "carol")
    assert kudos.tags == ("teamwork",)
    assert kudos.created_at == harness.clock.now()


async def test_a_repeated_delivery_records_one_kudos(harness: Harness) -> None:
    command = c.GiveKudos(
        recipient_ids=("bob",), reason="for the thorough review", delivery_id="Ev123"
    )
    first = await harness.service.handle(harness.actor("alice"), command)
    second = await harness.service.handle(harness.actor("alice"), command)
    assert first.ok and second.ok
    assert "delivered twice" in second.text
    assert await count(harness.store, t.kudos) == 1
    async with harness.store.uow() as uow:
        with pytest.raises(DuplicateDeliveryError):
            await uow.deliveries.record("console:local", "Ev123", harness.clock.now())


async def test_concurrent_deliveries_of_one_event_record_once(harness: Harness) -> None:
    command = c.GiveKudos(
        recipient_ids=("bob",), reason="for the thorough review", delivery_id="E1"
    )
    replies = await asyncio.gather(
        *(harness.service.handle(harness.actor("alice"), command) for _ in range(8))
    )
    assert all(r.ok for r in replies)
    assert await count(harness.store, t.kudos) == 1


async def test_concurrent_writers_lose_nothing(harness: Harness) -> None:
    async with harness.store.uow() as uow:
        community = await uow.communities.get("console:local")
    await harness.service.handle(
        harness.actor("admin", admin=True), c.SetLimit(kind="daily", value=0)
    )
    commands = [
        (
            harness.actor(f"giver{i}"),
            c.GiveKudos(recipient_ids=("bob",), reason=f"thanks for help {i}"),
        )
        for i in range(40)
    ]
    replies = await asyncio.gather(*(harness.service.handle(a, cmd) for a, cmd in commands))
    assert [r.ok for r in replies] == [True] * 40, [r.text for r in replies if not r.ok]
    assert await count(harness.store, t.kudos) == 40
    assert community is None or community.id == "console:local"


async def test_offer_search_is_case_insensitive_for_any_script(harness: Harness) -> None:
    alice = harness.actor("alice")
    for text_ in ("Ich helfe ÜBER Zoom mit Grafana", "I can pair on SQL tuning", "100% of my_time"):
        assert (await harness.service.handle(alice, c.CreateOffer(text=text_))).ok
    hits = await harness.service.handle(alice, c.ListOffers(query="über"))
    assert "Grafana" in hits.text and "SQL" not in hits.text
    literal = await harness.service.handle(alice, c.ListOffers(query="%"))
    assert "100%" in literal.text and "SQL" not in literal.text
    underscore = await harness.service.handle(alice, c.ListOffers(query="y_t"))
    assert "my_time" in underscore.text and "Grafana" not in underscore.text


async def test_offers_expire_and_renew(harness: Harness) -> None:
    alice = harness.actor("alice")
    created = await harness.service.handle(alice, c.CreateOffer(text="I can review Terraform"))
    assert created.ok
    harness.clock.current += timedelta(days=31)
    assert "No open offers" in (await harness.service.handle(alice, c.ListOffers())).text
    assert (await harness.service.handle(alice, c.RenewOffer(offer_id=1))).ok
    assert "Terraform" in (await harness.service.handle(alice, c.ListOffers())).text


async def test_forget_erases_identity_but_keeps_counts(harness: Harness) -> None:
    alice, bob = harness.actor("alice"), harness.actor("bob")
    await harness.service.handle(
        alice, c.GiveKudos(recipient_ids=("bob",), reason="secret words here")
    )
    await harness.service.handle(
        bob, c.GiveKudos(recipient_ids=("alice",), reason="for the pairing")
    )
    await harness.service.handle(alice, c.CreateOffer(text="I can help with Go"))
    reply = await harness.service.handle(alice, c.ForgetMe(confirmed=True))
    assert reply.ok
    async with harness.store.engine.connect() as conn:
        rows = []
        for table in (t.kudos, t.kudos_recipients, t.offers, t.members):
            rows += [str(row) for row in await conn.execute(select(table))]
    dump = " ".join(rows)
    assert "alice" not in dump and "secret words" not in dump
    assert "Thanks received: 1" in (await harness.service.handle(bob, c.ShowMe())).text
    assert "Thanks given: 1" in (await harness.service.handle(bob, c.ShowMe())).text


async def test_two_communities_never_see_each_other(harness: Harness) -> None:
    here = harness.actor("alice", community="slack:T1")
    there = harness.actor("alice", community="discord:42")
    await harness.service.handle(
        here, c.GiveKudos(recipient_ids=("bob",), reason="only in slack T1")
    )
    await harness.service.handle(here, c.CreateOffer(text="slack-only offer"))
    assert "Thanks given: 0" in (await harness.service.handle(there, c.ShowMe())).text
    assert "No open offers" in (await harness.service.handle(there, c.ListOffers())).text
    export = await harness.service.handle(there, c.ExportMyData())
    assert export.attachment is not None
    assert b"only in slack" not in export.attachment.content


async def test_admin_changes_are_audited(harness: Harness) -> None:
    admin = harness.actor("root", admin=True)
    await harness.service.handle(
        admin, c.SetDigestSchedule(weekday=2, time="08:30", timezone="Europe/Berlin")
    )
    async with harness.store.uow() as uow:
        [entry] = await uow.audit.list("console:local")
        community = await uow.communities.get("console:local")
    assert entry.action == "digest.schedule" and entry.actor_id == "root"
    assert community is not None and community.next_digest_due_at is not None
    local = community.next_digest_due_at.astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Berlin")
    )
    assert (local.weekday(), local.hour, local.minute) == (2, 8, 30)


async def test_sql_looking_text_is_stored_verbatim(harness: Harness) -> None:
    evil = "for fixing it'); DROP TABLE kudos; --"
    assert (
        await harness.service.handle(
            harness.actor("alice"), c.GiveKudos(recipient_ids=("bob",), reason=evil)
        )
    ).ok
    async with harness.store.engine.connect() as conn:
        assert (await conn.execute(text("SELECT reason FROM kudos"))).scalar() == evil
