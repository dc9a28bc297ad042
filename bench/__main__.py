"""`python -m bench [NAME ...]` (`make bench`): every bench (or the named ones) in turn, each
printing its details, then one table of every figure with its baseline and ratio.

    slack_commands        signed /kudos over HTTP, the real app against an ack-only bolt app
    discord_interactions  /kudos through the fake Discord gateway, real bot against respond-only
    digest_fanout         5,000 communities' digests due in the same minute, through a fake
                          Slack that paces posts per channel and answers some 429s
    memory                idle and peak RSS of `bot run` with every adapter, 50,000 kudos load
    digest_build          a digest built over 1,000,000 and 10,000,000 kudos of history

Each bench runs the app under test in a process of its own and the load and the fakes in
this one; every ratio is to a baseline measured in the same run. The run exits non-zero if
a bench saw a lost or doubled record (or could not run): a fast wrong answer never passes.
A missed target is shown in the table (met: NO), and does not fail the run.
"""

from __future__ import annotations

import asyncio
import os
import sys
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.table import Figure, at_most_ratio, below, exit_code, render

DIGEST_BUILD_TARGET_MS = 50.0
DIGEST_BUILD_TARGET_RATIO = 1.5


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def slack_commands() -> Report:
    from bench import slack_commands as bench

    args = bench._parse([])
    outcome = await bench.run(args)
    bench.print_details(outcome, args.seconds)
    return Report(outcome.figures, outcome.problems)


async def discord_interactions() -> Report:
    from bench import discord_interactions as bench

    args = bench._parse([])
    outcome = await bench.run(args)
    bench.print_details(outcome, args.count)
    return Report(outcome.figures, outcome.problems)


async def digest_fanout() -> Report:
    from bench import digest_fanout as bench

    outcome = await bench.run(bench._parse([]))
    bench.print_details(outcome)
    return Report(outcome.figures, outcome.problems)


async def memory() -> Report:
    from bench import memory as bench

    outcome = await bench.run(bench._parse([]))
    bench.print_details(outcome)
    return Report(outcome.figures, outcome.problems)


async def digest_build() -> Report:
    """bench/digest_build.py's measurements (sizes and backends from BENCH_DIGEST_SIZES and
    BENCH_DIGEST_BACKENDS), as figures: the build at the first size, and the largest size's
    time as a ratio to it."""
    from bench import digest_build as bench

    args = bench._parse([])
    sizes = [int(float(s)) for s in args.sizes.split(",") if s.strip()]
    report = Report()
    print(f"digest build: {bench.MEMBERS:,} members, {args.week_kudos:,} kudos in the week")
    for backend in (b.strip() for b in args.backends.split(",") if b.strip()):
        results = []
        for size in sizes:
            result = await bench.measure(backend, size, args.week_kudos, args.repeat, False)
            if result is None:
                break
            results.append(result)
            print(
                f"  {result.backend:<10} history {size:>12,}: median {result.median_ms:7.1f} ms "
                f"(seeded in {result.seed_seconds:.0f} s)",
                flush=True,
            )
        if not results:
            continue
        base = results[0]
        report.figures.append(
            Figure(
                "digest build",
                f"{base.backend}, {base.history:,} kudos: build",
                base.median_ms,
                "ms",
                target=f"< {DIGEST_BUILD_TARGET_MS:g} ms",
                check=below(DIGEST_BUILD_TARGET_MS),
            )
        )
        for other in results[1:]:
            report.figures.append(
                Figure(
                    "digest build",
                    f"{other.backend}, {other.history:,} kudos: build",
                    other.median_ms,
                    "ms",
                    base.median_ms,
                    f"{base.history:,}",
                    f"ratio <= {DIGEST_BUILD_TARGET_RATIO:g}",
                    at_most_ratio(DIGEST_BUILD_TARGET_RATIO),
                )
            )
    return report


BENCHES: dict[str, Callable[[], Awaitable[Report]]] = {
    "slack_commands": slack_commands,
    "discord_interactions": discord_interactions,
    "digest_fanout": digest_fanout,
    "memory": memory,
    "digest_build": digest_build,
}


def bench_names() -> list[str]:
    return list(BENCHES)


async def run(names: list[str]) -> int:
    figures: list[Figure] = []
    problems: list[str] = []
    for name in names:
        print(f"== {name}", flush=True)
        try:
            report = await BENCHES[name]()
        except Exception as exc:  # a bench that cannot run fails the run, the others go on
            traceback.print_exc()
            problems.append(f"{name}: could not run ({type(exc).__name__}: {exc})")
            continue
        figures += report.figures
        problems += [f"{name}: {p}" for p in report.problems]
        print(flush=True)
    print(f"== every figure (machine: {os.cpu_count()} cores; ratios within this run)")
    print(render(figures))
    missed = [f for f in figures if f.met is False]
    if missed:
        print(f"{len(missed)} target(s) missed: see the rows marked NO")
    return exit_code(problems)


def main(argv: list[str]) -> int:
    names = argv or bench_names()
    unknown = sorted(set(names) - set(BENCHES))
    if unknown:
        print(f"unknown bench: {', '.join(unknown)} (known: {', '.join(BENCHES)})")
        return 2
    return asyncio.run(run(names))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
