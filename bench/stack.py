"""The servers every benchmark runs: gunicorn's shape and the environment it serves with."""

from __future__ import annotations

import os
from pathlib import Path

from portal.config import Config
from tests.browser.harness import Stack

WORKERS = os.cpu_count() or 1  # one process per core
# gunicorn: one worker per core, two threads each. A page is CPU work behind one GIL per process: threads past the
# two that cover its database waits only queue on the GIL, whose switch interval then lands in p99
# (bench/results/served-path.md).
THREADS_PER_WORKER = 2
# What the benchmark's servers run with: sign-in limits out of the way of thousands of bench sign-ins, and the
# production wait for a hashing slot (the test harness lengthens it for loaded CI machines).
STACK_ENV = {
    "SIGN_IN_RATE_LIMIT": "10000 per minute",
    "LINK_RATE_LIMIT": "10000 per minute",
    "ARGON2_QUEUE_TIMEOUT": str(Config.ARGON2_QUEUE_TIMEOUT),
}


def bench_stack(
    database_url: str, log_dir: Path, *, workers: int = WORKERS, threads: int = THREADS_PER_WORKER
) -> Stack:
    """A server for the benchmark: gunicorn of this shape on ``database_url``, with STACK_ENV, no email worker."""
    return Stack(
        database_url, workers=workers, threads=threads, with_worker=False, log_dir=log_dir, extra_env=STACK_ENV
    )
