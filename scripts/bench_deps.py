#!/usr/bin/env python3
"""Install what `make bench` and `make scale-out` need from Debian (wrk, redis-server) when missing and we may.

Same rules as scripts/system_deps.py (root + apt-get; on CI a missing tool is a failure).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import system_deps  # noqa: E402 (the sibling script, imported by path)

system_deps.NEEDS = {
    "wrk": lambda: shutil.which("wrk") is not None,
    "redis-server": lambda: shutil.which("redis-server") is not None,
}

if __name__ == "__main__":
    sys.exit(system_deps.main())
