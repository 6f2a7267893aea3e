"""`python -m bench.sweep`: the worker's daily notices sweep over a large dataset, timed, with its memory.

Seeds a fresh PostgreSQL database with bench.seed (scale 50 by default: 1,000,000 students, their OPTs,
employers and timeline marks; few events, which the sweep never reads), then runs the worker's daily sweep
(create_due_notices) for one day in a child process and reports its wall time, CPU time and peak memory
beside the memory of the same process before the sweep. A second, smaller sweep (a twentieth of the
students) shows whether memory grows with the data. Issue 11's budget: under 5 minutes on 2 cores, flat memory.

    python -m bench.sweep                    # 1,000,000 students
    python -m bench.sweep --scale 1          # 20,000 students (a quick look)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date

from sqlalchemy import text

from portal import create_app
from portal.config import Config
from portal.extensions import db
from portal.worker.scheduled_notices import create_due_notices
from tests.browser.harness import Stack
from tests.support.postgres import PostgresServer, find_pg_bin

SWEEP_BUDGET_SECONDS = 300


def sweep_once(database_url: str, day: date) -> dict:
    """Run the daily sweep for ``day`` in this process; its timings and memory."""

    class SweepConfig(Config):
        DATABASE_URL = database_url

    app = create_app(SweepConfig)
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started, cpu_started = time.monotonic(), time.process_time()
        queued = create_due_notices(db.session, day)
        db.session.commit()
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "day": day.isoformat(),
        "queued": queued,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "rss_before_mb": round(before_mb, 1),
        "rss_peak_mb": round(peak_mb, 1),
    }


def _child_sweep(stack, day: date) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.sweep", "--run", stack.database_url, "--day", day.isoformat()],
        capture_output=True,
        text=True,
        env=stack.env,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the sweep failed:\n{result.stderr[-3000:]}")
    output = result.stdout
    return json.loads(output.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=50.0, help="bench.seed's scale (50: a million students)")
    parser.add_argument("--run", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--day", default=None, help="the day to sweep (default: today)")
    args = parser.parse_args(argv)
    day = date.fromisoformat(args.day) if args.day else date.today()
    if args.run:
        print(json.dumps(sweep_once(args.run, day)))
        return 0
    if find_pg_bin() is None:
        print("bench.sweep needs PostgreSQL 15 (apt-get install postgresql-15)", file=sys.stderr)
        return 2
    server = PostgresServer(find_pg_bin())
    server.start()
    try:
        results = []
        for label, scale in (("small", args.scale / 20), ("large", args.scale)):
            url = server.create_database(f"sweep_{label}")
            stack = Stack(url, workers=1, threads=1, with_worker=False)
            stack.migrate()
            seeded = stack.seed("bench.seed", "--scale", str(scale), "--export-changes", "0", "--events", "0")
            result = {"students": seeded["students"], "seed_seconds": seeded["seconds"], **_child_sweep(stack, day)}
            results.append(result)
            print(
                f"daily sweep over {result['students']:,} students: {result['seconds']} s wall, "
                f"{result['cpu_seconds']} s CPU, {result['queued']:,} notices queued, "
                f"RSS {result['rss_before_mb']} -> {result['rss_peak_mb']} MB",
                flush=True,
            )
        large = results[-1]
        verdict = "ok" if large["seconds"] <= SWEEP_BUDGET_SECONDS else "MISS"
        print(f"budget: {SWEEP_BUDGET_SECONDS} s for the large sweep: {verdict}")
        print(json.dumps({"sweep": results}))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
