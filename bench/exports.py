"""Only the exports of `make bench`, against a database bench.seed has already filled (DATABASE_URL): no seeding,
no wrk, so a change to the exports can be measured in a minute.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python -m bench.exports

Serves it with the benchmark's gunicorn line (2 workers, gthread x4), signs in as the bench DSO and the export
school's DSO, and downloads as `make bench` does (bench.run.measure_exports): rows/s from the first byte requested
to the last received, the workers' RSS before and at the peak. A download adds a change_list.downloaded event.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bench.client import Client
from bench.run import measure_exports
from bench.seed import BENCH_MFA_SECRET, BENCH_PASSWORD, EXPORT_CHANGES, EXPORT_DSO_EMAIL
from tests.browser.harness import Stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export-changes", type=int, default=EXPORT_CHANGES, help="as seeded (0: no export school)")
    parser.add_argument("--events", type=int, default=500_000, help="the first school's events, as seeded")
    args = parser.parse_args(argv)
    env = {"SIGN_IN_RATE_LIMIT": "10000 per minute", "LINK_RATE_LIMIT": "10000 per minute"}
    stack = Stack(os.environ["DATABASE_URL"], workers=2, threads=4, with_worker=False, extra_env=env,
                  log_dir=Path(tempfile.mkdtemp(prefix="portal-bench-exports-")))  # fmt: skip
    try:
        stack.start_web(access_log=False)
        stack.forget_used_totp_codes()
        clients = {}
        emails = {"dso": "dso@bench.example.edu", "exports": EXPORT_DSO_EMAIL if args.export_changes else None}
        for role, email in emails.items():
            if email:
                clients[role] = Client(stack.base_url)
                clients[role].sign_in(email, BENCH_PASSWORD, mfa_secret=BENCH_MFA_SECRET)
        seeded = {"export_changes": args.export_changes, "events": args.events, "schools": 1}
        for export in measure_exports(clients, stack.processes["gunicorn"].pid, seeded):
            if export.get("status") != 200:
                print(f"{export['name']:<32} HTTP {export.get('status')}")
                continue
            print(f"{export['name']:<32} {export['rows']:>9,} rows {export['rows_per_second']:>9,} rows/s "
                  f"{export['seconds']:>7} s  worker RSS MB {export['worker_rss_mb_before']} -> "
                  f"{export['worker_rss_mb_peak']}", flush=True)  # fmt: skip
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
