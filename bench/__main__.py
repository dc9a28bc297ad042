"""`python -m bench [NAME ...]`: runs every bench module (or the named ones) in turn.

Each module in this package with a `main(argv) -> int` is a bench; it prints its own
figures. The run exits non-zero if any bench does.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def bench_names() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(here)])
        if not info.name.startswith("_") and not info.ispkg
    )


def main(argv: list[str]) -> int:
    names = argv or bench_names()
    unknown = sorted(set(names) - set(bench_names()))
    if unknown:
        print(f"unknown bench: {', '.join(unknown)} (known: {', '.join(bench_names())})")
        return 2
    failed: list[str] = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        entry = getattr(module, "main", None)
        if entry is None:
            continue
        print(f"== {name}", flush=True)
        if entry([]) != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
