"""`make run`: gunicorn on http://127.0.0.1:8000 and, beside it, the email worker.

One gunicorn worker process with threads by default: the rate limits count in that process's memory
(RATELIMIT_STORAGE_URI=memory://), so a limit of 20 a minute is 20 a minute. Several processes
(WEB_CONCURRENCY=N) need a shared store, RATELIMIT_STORAGE_URI=redis://...; gunicorn.conf.py warns otherwise.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


def gunicorn_command() -> list[str]:
    """gunicorn as `make run` starts it: PORTAL_BIND, WEB_CONCURRENCY processes (1) of PORTAL_THREADS threads (8)."""
    return [
        str(BIN / "gunicorn"),
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        os.environ.get("PORTAL_BIND", "127.0.0.1:8000"),
        "--workers",
        os.environ.get("WEB_CONCURRENCY", "1"),
        "--worker-class",
        "gthread",
        "--threads",
        os.environ.get("PORTAL_THREADS", "8"),
        "--access-logfile",
        "-",
        "portal.wsgi:app",
    ]


def main() -> int:
    bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
    processes: list[subprocess.Popen] = []
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True
        for process in processes:
            process.terminate()

    # Before any child starts: a stop that came while the worker was still starting used to kill this script alone
    # and leave gunicorn serving (and holding the port) with no parent.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    processes.append(subprocess.Popen(gunicorn_command()))
    has_worker = subprocess.run([str(BIN / "portal"), "worker", "--help"], capture_output=True).returncode == 0
    if has_worker and not stopping:
        processes.append(subprocess.Popen([str(BIN / "portal"), "worker"]))
    print(f"OPT Portal is serving on http://{bind} (Ctrl-C to stop)", flush=True)
    codes = [process.wait() for process in processes]
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
