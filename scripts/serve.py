"""`make run`: gunicorn on http://127.0.0.1:8000 and, beside it, the email worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def main() -> int:
    bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
    processes = [
        subprocess.Popen([str(BIN / "gunicorn"), "--bind", bind, "--workers", os.environ.get("WEB_CONCURRENCY", "2"),
                          "--access-logfile", "-", "portal.wsgi:app"])  # fmt: skip
    ]
    has_worker = subprocess.run([str(BIN / "portal"), "worker", "--help"], capture_output=True).returncode == 0
    if has_worker:
        processes.append(subprocess.Popen([str(BIN / "portal"), "worker"]))
    print(f"OPT Portal is serving on http://{bind} (Ctrl-C to stop)", flush=True)

    def stop(*_):
        for process in processes:
            process.terminate()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    codes = [process.wait() for process in processes]
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
