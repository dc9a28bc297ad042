"""The shared HTTP server: binds where told (port 0: any free port) and checks health."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

import adapters.http.server as server_module
from adapters.http.server import HttpServer, build_http_app
from bot import bootstrap
from bot.bootstrap import Store
from storage.engine import create_engine
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.slack.harness import SlackWorld

TIMEOUT = aiohttp.ClientTimeout(total=10)


async def get(url: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http, http.get(url) as response:
        return response.status, await response.json()


async def test_healthz_answers_ok_while_the_database_answers(world: SlackWorld) -> None:
    status, body = await get(f"{world.slack.url}/healthz")

    assert status == 200
    assert body == {"status": "ok", "checks": {"database": "ok"}}


async def test_healthz_answers_503_when_the_database_does_not() -> None:
    # A PostgreSQL address nothing listens on: the check fails fast, and says no more.
    engine = create_engine("postgresql+asyncpg://postgres:hunter2@127.0.0.1:9/none")
    store = Store(engine=engine, uow=SqlUnitOfWorkFactory(engine))
    server = HttpServer(
        build_http_app({"database": bootstrap._database_check(store)}), "127.0.0.1", 0
    )
    await server.start()
    try:
        status, body = await get(f"http://127.0.0.1:{server.port}/healthz")
    finally:
        await server.stop()
        await engine.dispose()

    assert status == 503
    assert body == {"status": "unavailable", "checks": {"database": "failing"}}


async def test_a_check_that_hangs_counts_as_failing(monkeypatch: pytest.MonkeyPatch) -> None:
    async def hangs() -> None:
        await asyncio.sleep(60)

    monkeypatch.setattr(server_module, "HEALTH_TIMEOUT_SECONDS", 0.1)
    server = HttpServer(build_http_app({"hangs": hangs}), "127.0.0.1", 0)
    await server.start()
    try:
        status, body = await get(f"http://127.0.0.1:{server.port}/healthz")
    finally:
        await server.stop()

    assert status == 503 and body["checks"] == {"hangs": "failing"}


async def test_port_zero_binds_a_free_loopback_port() -> None:
    first = HttpServer(build_http_app({}), "127.0.0.1", 0)
    second = HttpServer(build_http_app({}), "127.0.0.1", 0)
    await first.start()
    await second.start()
    try:
        assert first.port != 0 and second.port != 0 and first.port != second.port
        status, _ = await get(f"http://127.0.0.1:{first.port}/healthz")
        assert status == 200
    finally:
        await first.stop()
        await second.stop()
