"""The figures a stress test measured: printed (`make test-stress` shows them) and appended
to stress-report.txt in the working directory, one line per test."""

from __future__ import annotations

import json
from pathlib import Path

REPORT = Path("stress-report.txt")


def report(test: str, **figures: object) -> None:
    line = json.dumps({"test": test, **figures})
    print(f"\n[stress] {line}", flush=True)
    with REPORT.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
