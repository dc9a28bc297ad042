"""`smart-connections run`, telling on its way out which migration modules it ever loaded:

    python -m tests.storage.startup_process

The last line on stderr reads `MIGRATION MODULES LOADED: alembic, mako` (or `none`). Only a
process shows this: a test process has Alembic loaded by other tests already.
"""

from __future__ import annotations

import atexit
import sys

from bot.cli import main

MARKER = "MIGRATION MODULES LOADED:"
WATCHED = ("alembic", "mako", "pygments")


def report() -> None:
    loaded = sorted({name.split(".")[0] for name in sys.modules} & set(WATCHED))
    print(MARKER, ", ".join(loaded) or "none", file=sys.stderr, flush=True)


if __name__ == "__main__":
    atexit.register(report)
    raise SystemExit(main(["run"]))
