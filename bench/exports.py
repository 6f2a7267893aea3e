"""Only the exports of `make bench`: no wrk, no pages, so a change to the exports can be measured in minutes.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python -m bench.exports   # seeded already
    python -m bench.exports --seed --scale 0.05 --output change-list-exports   # its own PostgreSQL, seeded here

Serves it with the benchmark's gunicorn line (bench/stack.py), signs in as the bench DSO and the export
school's DSO, and downloads as `make bench` does (bench.run.measure_exports): rows/s from the first byte requested
to the last received, the workers' RSS before and at the peak. A download adds a change_list.downloaded event.
With --seed it starts a throwaway PostgreSQL and seeds it with bench.seed (--scale for the first school, whose
students list is exported; --export-changes for the export school); --output writes bench/results/NAME.json and .md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.client import Client
from bench.report import git_commit, table, write_results
from bench.run import EXPORT_ROWS_PER_SECOND, measure_exports
from bench.seed import BENCH_MFA_SECRET, BENCH_PASSWORD, EXPORT_CHANGES, EXPORT_DSO_EMAIL
from bench.stack import THREADS_PER_WORKER, WORKERS, bench_stack
from tests.support.postgres import PostgresServer, find_pg_bin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export-changes", type=int, default=EXPORT_CHANGES, help="as seeded (0: no export school)")
    parser.add_argument("--events", type=int, default=500_000, help="the first school's events, as seeded")
    parser.add_argument("--seed", action="store_true", help="start a throwaway PostgreSQL and seed it first")
    parser.add_argument("--scale", type=float, default=1.0, help="with --seed: bench.seed's --scale")
    parser.add_argument("--output", help="write bench/results/OUTPUT.json and .md")
    args = parser.parse_args(argv)
    pg = None
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-exports-"))
    stack = None
    try:
        if args.seed:
            pg = PostgresServer(find_pg_bin())
            pg.start()
            url = pg.create_database("bench")
        else:
            url = os.environ["DATABASE_URL"]
        stack = bench_stack(url, workdir / "logs")
        seeded = {"export_changes": args.export_changes, "events": args.events, "schools": 1}
        if args.seed:
            print(
                f"Seeding PostgreSQL at scale {args.scale} with {args.export_changes:,} export changes ...", flush=True
            )
            stack.migrate()
            started = time.perf_counter()
            seeded = stack.seed("bench.seed", "--scale", str(args.scale), "--export-changes", str(args.export_changes))
            print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
        stack.start_web(access_log=False)
        stack.forget_used_totp_codes()
        clients = {}
        emails = {"dso": "dso@bench.example.edu", "exports": EXPORT_DSO_EMAIL if seeded["export_changes"] else None}
        for role, email in emails.items():
            if email:
                clients[role] = Client(stack.base_url)
                clients[role].sign_in(email, BENCH_PASSWORD, mfa_secret=BENCH_MFA_SECRET)
        exports = []
        for export in measure_exports(clients, stack.processes["gunicorn"].pid, seeded):
            exports.append(export)
            if export.get("status") != 200:
                print(f"{export['name']:<32} HTTP {export.get('status')}")
                continue
            export["within_budget"] = {"rows_per_second": export["rows_per_second"] >= EXPORT_ROWS_PER_SECOND}
            print(
                f"{export['name']:<32} {export['rows']:>9,} rows {export['rows_per_second']:>9,} rows/s "
                f"{export['seconds']:>7} s  worker RSS MB {export['worker_rss_mb_before']} -> "
                f"{export['worker_rss_mb_peak']}",
                flush=True,
            )
    finally:
        if stack is not None:
            stack.stop()
        if pg is not None:
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    if args.output:
        report = {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": "python -m bench.exports " + " ".join(sys.argv[1:] if argv is None else argv),
            "git_commit": git_commit(),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
            "database": "postgresql" if url.startswith("postgresql") else "sqlite",
            "dataset": {
                key: seeded.get(key) for key in ("schools", "students", "employers", "events", "export_changes")
            },
            "gunicorn": {"workers": WORKERS, "worker_class": "gthread", "threads": THREADS_PER_WORKER},
            "budgets": {"export_rows_per_second_min": EXPORT_ROWS_PER_SECOND},
            "exports": exports,
        }
        write_results(report, args.output)
        print(f"\n{table(report)}\n\nWrote bench/results/{args.output}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
