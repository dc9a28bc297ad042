"""The deploy files agree with the code: they parse, name one image, and know every setting."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def kubernetes_documents() -> list[dict[str, Any]]:
    return [d for p in sorted((DEPLOY / "kubernetes").glob("*.yaml")) for d in documents(p)]


def containers() -> list[dict[str, Any]]:
    found = []
    for doc in kubernetes_documents():
        spec = doc.get("spec", {}).get("template", {}).get("spec", {})
        found += spec.get("containers", [])
    return found


def test_every_manifest_parses_and_has_a_kind() -> None:
    docs = kubernetes_documents()
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "Secret", "PodDisruptionBudget"} <= kinds
    for doc in docs:
        assert doc["apiVersion"] and doc["metadata"]["name"]


def test_compose_and_kubernetes_run_the_same_image() -> None:
    compose = documents(DEPLOY / "compose.yaml")[0]
    images = {compose["services"]["bot"]["image"]} | {c["image"] for c in containers()}
    assert len(images) == 1, images
    assert compose["services"]["bot"]["build"]["dockerfile"] == "deploy/Dockerfile"
    assert "postgres-data" in compose["volumes"]


def test_deployment_has_replicas_probes_and_resources() -> None:
    [deployment] = [d for d in kubernetes_documents() if d["kind"] == "Deployment"]
    assert deployment["spec"]["replicas"] >= 2
    for container in containers():
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["resources"]["requests"]["memory"]


def test_dockerfile_is_multi_stage_non_root_with_a_healthcheck() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.MULTILINE)) >= 2
    assert re.search(r"^USER (?!root)\S+", dockerfile, re.MULTILINE)
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert 'CMD ["run"]' in dockerfile


def env_example_keys() -> set[str]:
    keys = set()
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            keys.add(line.split("=", 1)[0])
    return keys


def test_env_example_lists_exactly_the_settings() -> None:
    settings = {name.upper() for name in Settings.model_fields}
    assert env_example_keys() == settings


def test_env_example_defaults_are_the_settings_defaults(monkeypatch: Any) -> None:
    """Loading .env.example as it ships gives the same settings as no file at all."""
    for key in env_example_keys():
        monkeypatch.delenv(key, raising=False)
    shipped = Settings(_env_file=DEPLOY / ".env.example")  # type: ignore[call-arg]
    default = Settings(_env_file=None)  # type: ignore[call-arg]
    assert shipped == default
    assert shipped.slack_bot_token is None and shipped.discord_token is None


def test_readme_configuration_table_lists_every_setting() -> None:
    readme = (DEPLOY.parent / "README.md").read_text()
    for name in Settings.model_fields:
        assert f"`{name.upper()}`" in readme or name.upper() in readme, name


def test_discord_and_slack_pods_never_both_run_discord() -> None:
    """Two gateway sessions for one shard would answer every interaction twice."""
    by_component: dict[str, dict[str, Any]] = {}
    for doc in kubernetes_documents():
        if doc["kind"] in ("Deployment", "StatefulSet"):
            component = doc["metadata"]["labels"]["component"]
            by_component[component] = doc["spec"]["template"]["spec"]["containers"][0]
    slack_env = {e["name"]: e.get("value") for e in by_component["slack"]["env"]}
    discord_env = {e["name"]: e.get("value") for e in by_component["discord"]["env"]}
    assert slack_env["DISCORD_TOKEN"] == ""
    assert discord_env["SLACK_BOT_TOKEN"] == ""
    assert int(discord_env["DISCORD_SHARD_COUNT"]) >= 1
    assert "DISCORD_SHARD_IDS" in " ".join(by_component["discord"]["args"])
