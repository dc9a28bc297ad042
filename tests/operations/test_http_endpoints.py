"""/healthz, /readyz and /metrics as an orchestrator and Prometheus see them."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import yaml

from adapters.http.metrics import PrometheusMetrics
from adapters.http.server import HttpServer
from bot import bootstrap
from bot import commands as c
from bot.bootstrap import open_store
from bot.domain import Actor
from bot.settings import Settings
from storage.migrate import upgrade
from tests.databases import sqlite_url

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


async def get(base: str, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(base + path) as r:
        return r.status, await r.text()


async def test_ready_only_once_migrations_are_current(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, database_url=sqlite_url(tmp_path))  # type: ignore[call-arg]
    async with open_store(settings, migrate=False, metrics=PrometheusMetrics()) as store:
        server = HttpServer(bootstrap._http_app(store), "127.0.0.1", 0)
        await server.start()
        base = f"http://127.0.0.1:{server.port}"
        try:
            assert (await get(base, "/healthz"))[0] == 200
            status, body = await get(base, "/readyz")
            assert status == 503 and '"migrations": "failing"' in body
            await upgrade(store.engine)
            assert (await get(base, "/readyz"))[0] == 200
        finally:
            await server.stop()


async def test_metrics_count_commands_kudos_and_database_time(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, database_url=sqlite_url(tmp_path))  # type: ignore[call-arg]
    metrics = PrometheusMetrics()
    async with open_store(settings, metrics=metrics) as store:
        from adapters.console.directory import ConsoleDirectory
        from tests.harness import NullNotifier

        service = bootstrap.build_service(store, ConsoleDirectory(), NullNotifier())
        alice = Actor(community_id="console:local", member_id="alice", display_name="alice")
        await service.handle(
            alice, c.GiveKudos(recipient_ids=("bob",), reason="for the help today")
        )
        await service.handle(alice, c.GiveKudos(recipient_ids=("alice",), reason="for myself, ha"))
        await service.handle(alice, c.SetLimit(kind="daily", value=3))
        server = HttpServer(bootstrap._http_app(store), "127.0.0.1", 0)
        await server.start()
        try:
            status, text = await get(f"http://127.0.0.1:{server.port}", "/metrics")
        finally:
            await server.stop()
    assert status == 200
    assert 'smart_connections_commands_total{command="GiveKudos",outcome="ok"} 1.0' in text
    assert 'smart_connections_commands_total{command="GiveKudos",outcome="refused"} 1.0' in text
    assert 'smart_connections_commands_total{command="SetLimit",outcome="refused"} 1.0' in text
    assert "smart_connections_kudos_recorded_total 1.0" in text
    assert "smart_connections_database_seconds_count" in text


async def test_probes_in_the_manifests_point_at_real_routes(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, database_url=sqlite_url(tmp_path))  # type: ignore[call-arg]
    async with open_store(settings, metrics=PrometheusMetrics()) as store:
        routes = {r.resource.canonical for r in bootstrap._http_app(store).router.routes()}
    paths = set()
    for path in (DEPLOY / "kubernetes").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            spec = (doc or {}).get("spec", {}).get("template", {}).get("spec", {})
            for container in spec.get("containers", []):
                for probe in ("readinessProbe", "livenessProbe"):
                    paths.add(container[probe]["httpGet"]["path"])
    assert paths and paths <= routes, (paths, routes)
    assert "/healthz" in (DEPLOY / "Dockerfile").read_text()
    assert {"/healthz", "/readyz", "/metrics"} <= routes
