#!/usr/bin/env python3
"""Copy the front-end assets installed by npm into portal/static/vendor/.

Run `npm ci` first (the Makefile does both). The vendor folder is rebuilt
from scratch on every run, so running it twice gives the same tree and a
removed asset never lingers. Standard library only: this runs before the
Python dependencies are installed in some setups.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "portal" / "static" / "vendor"
USWDS_DIST = NODE_MODULES / "@uswds" / "uswds" / "dist"

# (source under node_modules, destination under vendor/). uswds.min.css loads
# ../fonts and ../img, so css/, fonts/ and img/ stay siblings under vendor/uswds/.
FILES = [
    (NODE_MODULES / "htmx.org" / "dist" / "htmx.min.js", "htmx/htmx.min.js"),
    (USWDS_DIST / "css" / "uswds.min.css", "uswds/css/uswds.min.css"),
    (USWDS_DIST / "js" / "uswds.min.js", "uswds/js/uswds.min.js"),
    (USWDS_DIST / "js" / "uswds-init.min.js", "uswds/js/uswds-init.min.js"),
    (NODE_MODULES / "axe-core" / "axe.min.js", "axe/axe.min.js"),
]
FOLDERS = [
    (USWDS_DIST / "fonts", "uswds/fonts"),
    (USWDS_DIST / "img", "uswds/img"),
]


def main() -> int:
    if not NODE_MODULES.is_dir():
        print(
            f"error: {NODE_MODULES} is missing. Run `npm ci` in {ROOT} first, then run this script again.",
            file=sys.stderr,
        )
        return 1
    missing = [src for src, _ in FILES + FOLDERS if not src.exists()]
    if missing:
        print("error: these assets are missing from node_modules (run `npm ci` again?):", file=sys.stderr)
        for src in missing:
            print(f"  {src.relative_to(ROOT)}", file=sys.stderr)
        return 1

    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for src, dest in FILES:
        target = VENDOR / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    for src, dest in FOLDERS:
        shutil.copytree(src, VENDOR / dest)

    print(f"Copied front-end assets into {VENDOR.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
