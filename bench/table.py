"""What a bench reports: figures, each with its baseline (measured in the same run), the
ratio between them and the target it is held to; and the table `make bench` prints."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Figure:
    bench: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    # The target as words (shown) and as a test of the figure (None: for information).
    target: str = ""
    check: Callable[[Figure], bool] | None = field(default=None, compare=False)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        return None if self.check is None else self.check(self)


def at_least_ratio(share: float) -> Callable[[Figure], bool]:
    return lambda f: f.ratio is not None and f.ratio >= share


def at_most_ratio(share: float) -> Callable[[Figure], bool]:
    return lambda f: f.ratio is not None and f.ratio <= share


def below(limit: float) -> Callable[[Figure], bool]:
    return lambda f: f.value < limit


def at_most(limit: float) -> Callable[[Figure], bool]:
    return lambda f: f.value <= limit


def _number(value: float, unit: str) -> str:
    if value == int(value) and not unit:
        return f"{value:,.0f}"
    if abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def render(figures: Sequence[Figure]) -> str:
    """One table: every figure, its baseline, their ratio, the target and whether it is met."""
    rows = [("bench", "figure", "value", "baseline", "ratio", "target", "met")]
    for f in figures:
        baseline = ""
        if f.baseline is not None:
            baseline = _number(f.baseline, f.unit)
            if f.baseline_name:
                baseline = f"{baseline} ({f.baseline_name})"
        ratio = "" if f.ratio is None else f"{f.ratio:.2f}"
        met = {None: "", True: "yes", False: "NO"}[f.met]
        rows.append((f.bench, f.name, _number(f.value, f.unit), baseline, ratio, f.target, met))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.rjust(width) if i in (2, 4) else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def exit_code(problems: Sequence[str]) -> int:
    """Print each lost or doubled record (or failure to run) a bench saw; 1 when there was any,
    so that a fast wrong answer never passes."""
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0
