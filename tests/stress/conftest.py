"""The stress tests (load, kills) run only under `make test-stress`: they take minutes."""

from __future__ import annotations

import os

STRESS = "SMART_CONNECTIONS_STRESS"

collect_ignore_glob = [] if os.environ.get(STRESS) else ["test_*.py"]
