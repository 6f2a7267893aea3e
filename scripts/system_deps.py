"""Install what the test suite needs from Debian (PostgreSQL 15, Chromium) when missing and we may.

On CI a missing dependency that cannot be installed is a failure; on a developer's
machine it is one clear line, and the part of the suite that needs it says so itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

NEEDS = {
    "postgresql-15": lambda: Path("/usr/lib/postgresql/15/bin/initdb").exists(),
    "chromium": lambda: Path("/usr/bin/chromium").exists(),
}


def main() -> int:
    missing = [package for package, present in NEEDS.items() if not present()]
    if not missing:
        return 0
    on_ci = os.environ.get("CI", "").lower() == "true"
    can_install = os.geteuid() == 0 and shutil.which("apt-get") is not None
    if not can_install:
        print(f"Missing {', '.join(missing)} and cannot install them here (needs root and apt-get).")
        return 1 if on_ci else 0
    print(f"Installing {', '.join(missing)} from Debian ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True, env=env)
    still_missing = [package for package in missing if not NEEDS[package]()]
    if still_missing:
        print(f"Still missing after apt-get: {', '.join(still_missing)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
