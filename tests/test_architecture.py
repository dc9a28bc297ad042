"""The dependency rule of DESIGN.md: the core imports neither adapters nor storage."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPOSITION_ROOT = ROOT / "bot" / "bootstrap.py"
CLI = ROOT / "bot" / "cli.py"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_imports_neither_adapters_nor_storage() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] in ("adapters", "storage")
        )
        for path in (ROOT / "bot").rglob("*.py")
        if path != COMPOSITION_ROOT
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_storage_does_not_import_adapters() -> None:
    for path in (ROOT / "storage").rglob("*.py"):
        assert not any(m.startswith("adapters") for m in imported_modules(path)), path


def test_nothing_is_built_at_import_time() -> None:
    """Importing every module creates no engine, client or event loop."""
    import importlib
    import pkgutil

    import sqlalchemy.ext.asyncio as sa_async

    created: list[str] = []
    original = sa_async.create_async_engine

    def spy(*args: object, **kwargs: object) -> object:
        created.append(repr(args))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    sa_async.create_async_engine = spy  # type: ignore[assignment]
    try:
        for package in ("bot", "storage", "adapters"):
            module = importlib.import_module(package)
            for info in pkgutil.walk_packages(module.__path__, package + "."):
                if ".migrations" in info.name or info.name.endswith("__main__"):
                    continue
                importlib.import_module(info.name)
    finally:
        sa_async.create_async_engine = original
    assert created == []
