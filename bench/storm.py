"""The sign-in storm after an upgrade that forces every student to change password (issue 16, seed 000).

`portal upgrade complete --force-password-change` on the bench dataset; then clients sign in and complete the forced
change as students would, through the real pages with CSRF: GET the sign-in page, POST it, GET the change form,
POST the new password. Each client is a storm student of the seed (bench.seed --storm-students), one after another;
a 503 is retried after its Retry-After, as a student would. This runs at 1x, 2x and 4x the machine's capacity
(gunicorn's workers x threads: the requests it serves at once), each level with fresh students.

The limit, measured in the same run: argon2 hashes per second with the configured parameters in one process per
core, divided by the hashes one student's storm needs. That count is read from the code, not assumed: one storm
runs in-process on a throwaway database seeded the same way, and every argon2 call is counted (a cheaper one
weighs what its parameters cost beside the configured ones).

    python -m bench.storm --students 40     # alone: its own small dataset; writes bench/results/storm.json and .md
    make bench                              # as part of the benchmark, on the bench dataset (bench.run)

Budgets reported (not enforced): at least 80% of the limit at 1x and 2x; at 4x no timeouts, no half-done sign-in
(a changed password without a session, or a session without the change, checked in the database afterwards) and
every refused request a 503 with Retry-After.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import argon2.low_level
from _argon2_cffi_bindings import ffi
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import bindparam, create_engine, text

from bench.client import Client, Response
from bench.report import git_commit, table, write_results
from bench.seed import seed, storm_emails
from bench.stack import THREADS_PER_WORKER, bench_stack
from portal import create_app
from portal.config import Config
from portal.extensions import db
from portal.models import Base
from tests.browser.harness import Stack
from tests.support.postgres import PostgresServer, find_pg_bin

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("GET sign-in", "POST sign-in", "GET change form", "POST new password")
MULTIPLES = (1, 2, 4)
NEW_PASSWORD = "quiet harbor lantern mosaic 42"
REQUEST_TIMEOUT_S = 30.0
# A student who is refused waits what Retry-After says (at most this long), and gives up after this many refusals.
LONGEST_WAIT_S = 30.0
MOST_REFUSALS = 20
LIMIT_SHARE_BUDGET = 0.80
LIMIT_SECONDS = 3.0


# -- pure parts -------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank q-th percentile (0 < q <= 100): the smallest value with at least q% of the values at or
    below it; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def hash_weight(time_cost: int, memory_cost: int, configured: dict) -> float:
    """What one argon2 call costs beside one with the configured parameters (argon2's work is passes x memory)."""
    return (time_cost * memory_cost) / (configured["time_cost"] * configured["memory_cost"])


def storm_limit(hashes_per_second: float, hashes_per_student: float) -> float:
    """Completed changes per second the cores allow: argon2 hashes per second over the hashes one student needs."""
    if hashes_per_student <= 0:
        raise ValueError("a student's storm needs at least one hash")
    return hashes_per_second / hashes_per_student


def step_summary(latencies_ms: list[float], statuses: Counter) -> dict:
    p50, p99 = percentile(latencies_ms, 50), percentile(latencies_ms, 99)
    return {
        "requests": sum(statuses.values()),
        "p50_ms": None if p50 is None else round(p50, 1),
        "p99_ms": None if p99 is None else round(p99, 1),
        "statuses": {str(status): count for status, count in sorted(statuses.items(), key=lambda item: str(item[0]))},
    }


def level_budget(multiple: int, level: dict) -> dict:
    """The issue's budget for one level: the share of the limit at 1x and 2x; no collapse at 4x."""
    if multiple < 4:
        return {"share_of_limit": level["share_of_limit"] >= LIMIT_SHARE_BUDGET}
    errors = level["errors"]
    return {
        "no_timeouts": errors["timeouts"] == 0,
        "no_half_done": sum(level["half_done"].values()) == 0,
        "refused_only_with_503_retry_after": errors["refused_503_without_retry_after"] == 0 and not errors["other"],
    }


# -- one student ------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What one student's storm saw: each request's step, latency and status (or error kind), and the end."""

    email: str
    requests: list[tuple[str, float, str]] = field(default_factory=list)
    completed: bool = False
    finished_at: float = 0.0
    ended_by: str = ""


def _header(response: Response, name: str) -> str | None:
    return next((value for key, value in response.headers.items() if key.lower() == name.lower()), None)


def _error_kind(error: BaseException) -> str:
    reason = getattr(error, "reason", error)
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return "timeout"
    return f"connection: {type(reason).__name__}"


def storm_student(client, email: str, password: str, *, new_password: str = NEW_PASSWORD, sleep=time.sleep) -> Outcome:
    """One student through the four steps; each request is one step (redirects are not followed)."""
    outcome = Outcome(email)
    refusals = 0

    def step(name: str, method: str, path: str, data: dict | None, expect: tuple[int, ...]) -> Response | None:
        nonlocal refusals
        while True:
            started = time.perf_counter()
            try:
                response = client.request(method, path, data, timeout=REQUEST_TIMEOUT_S)
            except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
                kind = _error_kind(error)
                outcome.requests.append((name, (time.perf_counter() - started) * 1000, kind))
                outcome.ended_by = kind
                return None
            elapsed = (time.perf_counter() - started) * 1000
            retry_after = _header(response, "Retry-After") if response.status == 503 else None
            status = "503 Retry-After" if retry_after is not None else str(response.status)
            outcome.requests.append((name, elapsed, status))
            if response.status in expect:
                return response
            if retry_after is None or refusals >= MOST_REFUSALS:
                outcome.ended_by = f"{name}: HTTP {response.status}" if retry_after is None else "gave up after 503s"
                return None
            refusals += 1
            try:
                wait = float(retry_after)
            except ValueError:
                wait = 1.0
            sleep(min(max(wait, 0.0), LONGEST_WAIT_S))

    page = step("GET sign-in", "GET", "/", None, (200,))
    if page is None:
        return outcome
    form = {"email": email, "password": password, "csrf_token": page.csrf() or ""}
    if step("POST sign-in", "POST", "/", form, (302, 303)) is None:
        return outcome
    change = step("GET change form", "GET", "/password/change", None, (200,))
    if change is None:
        return outcome
    form = {
        "current_password": password,
        "password": new_password,
        "confirm": new_password,
        "csrf_token": change.csrf() or "",
    }
    if step("POST new password", "POST", "/password/change", form, (302, 303)) is None:
        return outcome
    outcome.completed = True
    outcome.finished_at = time.perf_counter()
    return outcome


# -- one level ---------------------------------------------------------------------------------
def run_level(base_url: str, emails: list[str], password: str, *, clients: int) -> dict:
    """``clients`` students at once, each client taking the next student when one is done."""
    queue = iter(emails)
    lock = threading.Lock()
    outcomes: list[Outcome] = []

    def client_loop() -> None:
        while True:
            with lock:
                email = next(queue, None)
            if email is None:
                return
            outcome = storm_student(Client(base_url, follow=False), email, password)
            with lock:
                outcomes.append(outcome)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(client_loop) for _ in range(clients)]:
            future.result()
    ended = time.perf_counter()
    return summarize_level(outcomes, seconds=ended - started, clients=clients)


def summarize_level(outcomes: list[Outcome], *, seconds: float, clients: int) -> dict:
    """Completed changes per second over the level's wall time, each step's latency, and the errors by kind."""
    latencies: dict[str, list[float]] = {name: [] for name in STEPS}
    statuses: dict[str, Counter] = {name: Counter() for name in STEPS}
    errors = {"refused_503_retry_after": 0, "refused_503_without_retry_after": 0, "timeouts": 0, "other": Counter()}
    expected = {"GET sign-in": {"200"}, "POST sign-in": {"302", "303"}, "GET change form": {"200"}}
    expected["POST new password"] = expected["POST sign-in"]
    for outcome in outcomes:
        for name, elapsed, status in outcome.requests:
            statuses[name][status] += 1
            if status == "timeout":
                errors["timeouts"] += 1
            elif status == "503 Retry-After":
                errors["refused_503_retry_after"] += 1
            elif status == "503":
                errors["refused_503_without_retry_after"] += 1
            elif status.startswith("connection"):
                errors["other"][status] += 1
            else:
                latencies[name].append(elapsed)  # a served answer; refusals and errors would flatter the percentiles
                if status not in expected[name]:
                    errors["other"][f"{name}: HTTP {status}"] += 1
        if outcome.ended_by == "gave up after 503s":
            errors["other"]["gave up after 503s"] += 1
    completed = sum(outcome.completed for outcome in outcomes)
    return {
        "clients": clients,
        "students": len(outcomes),
        "seconds": round(seconds, 2),
        "completed": completed,
        "changes_per_second": round(completed / seconds, 2) if seconds else 0.0,
        "steps": {name: step_summary(latencies[name], statuses[name]) for name in STEPS},
        "errors": {**errors, "other": dict(sorted(errors["other"].items()))},
    }


# -- half-done sign-ins, in the database -------------------------------------------------------
def half_done(database_url: str, emails: list[str]) -> dict:
    """Students with a changed password and no open session, or an open session and no change (since the last
    forcing upgrade)."""
    statement = text(
        """
        SELECT u.password_changed_at > (SELECT MAX(completed_at) FROM upgrades WHERE force_password_change) AS changed,
               EXISTS (SELECT 1 FROM user_sessions s WHERE s.user_id = u.id AND s.ended_at IS NULL) AS signed_in
        FROM users u WHERE u.email IN :emails ORDER BY u.id
        """
    ).bindparams(bindparam("emails", expanding=True))
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(statement, {"emails": emails}).all()
    finally:
        engine.dispose()
    return {
        "changed_without_session": sum(1 for changed, signed_in in rows if changed and not signed_in),
        "session_without_change": sum(1 for changed, signed_in in rows if signed_in and not changed),
    }


# -- the limit ------------------------------------------------------------------------------------
def _hash_for(seconds: float, params: dict) -> float:
    hasher = PasswordHasher(
        time_cost=params["time_cost"], memory_cost=params["memory_cost"], parallelism=params["parallelism"]
    )
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        hasher.hash("a bench password to hash")
        count += 1
    return count / elapsed


def argon2_hashes_per_second(params: dict, *, processes: int, seconds: float = LIMIT_SECONDS) -> float:
    """Hashes per second with ``params``, one process per core, each hashing for ``seconds`` (their rates summed)."""
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return round(sum(pool.starmap(_hash_for, [(seconds, params)] * processes)), 1)


def hashes_per_student() -> dict:
    """The hashes one student's storm needs, counted in a subprocess on a throwaway SQLite database (see _count)."""
    workdir = Path(tempfile.mkdtemp(prefix="portal-storm-count-"))
    stack = Stack(f"sqlite:///{workdir / 'count.db'}", with_worker=False, log_dir=workdir)  # its environment only
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bench.storm", "--count-hashes"],
            cwd=ROOT,
            env=stack.env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"counting a storm's hashes failed:\n{result.stderr[-3000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


class _CountingLib:
    """argon2's C library with its hash and verify calls counted and weighed (every argon2 path goes through it)."""

    def __init__(self, lib, ffi, configured: dict) -> None:
        self._lib, self._ffi, self._configured = lib, ffi, configured
        self.calls: list[tuple[str, float]] = []

    def __getattr__(self, name):
        return getattr(self._lib, name)

    def argon2_hash(self, time_cost, memory_cost, *args):
        self.calls.append(("hash", hash_weight(time_cost, memory_cost, self._configured)))
        return self._lib.argon2_hash(time_cost, memory_cost, *args)

    def argon2_verify(self, encoded, *args):
        params = extract_parameters(self._ffi.string(encoded).decode("ascii"))
        self.calls.append(("verify", hash_weight(params.time_cost, params.memory_cost, self._configured)))
        return self._lib.argon2_verify(encoded, *args)


class _TestClient:
    """The Flask test client behind the storm client's one method (no redirects followed)."""

    def __init__(self, client) -> None:
        self.client = client

    def request(self, method: str, path: str, data: dict | None = None, *, timeout: float = 0) -> Response:
        response = self.client.open(path, method=method, data=data, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        return Response(response.status_code, path, dict(response.headers), response.get_data())


def _count() -> dict:
    """One storm student in-process, on the database DATABASE_URL names (empty): seeded as the bench seeds,
    upgraded with the real command, then the four steps through the real pages with argon2's calls counted."""

    class CountConfig(Config):
        RATELIMIT_ENABLED = False
        SESSION_COOKIE_SECURE = False

    app = create_app(CountConfig)
    configured = {
        "time_cost": app.config["ARGON2_TIME_COST"],
        "memory_cost": app.config["ARGON2_MEMORY_COST"],
        "parallelism": app.config["ARGON2_PARALLELISM"],
    }
    with app.app_context():
        Base.metadata.create_all(db.engine)
        seeded = seed(app.config["DATABASE_URL"], scale=0.001, export_changes=0, storm_students=1)
        upgraded = app.test_cli_runner().invoke(args=["upgrade", "complete", "--force-password-change"])
    if upgraded.exit_code != 0:
        raise RuntimeError(f"portal upgrade complete failed:\n{upgraded.output}") from upgraded.exception
    counting = _CountingLib(argon2.low_level.lib, ffi, configured)
    argon2.low_level.lib = counting
    try:
        outcome = storm_student(_TestClient(app.test_client()), storm_emails(1)[0], seeded["password"])
    finally:
        argon2.low_level.lib = counting._lib
    if not outcome.completed:
        raise RuntimeError(f"the counted storm did not complete: {outcome.requests}")
    return {
        "hashes": round(sum(weight for _kind, weight in counting.calls), 2),
        "calls": dict(Counter(kind for kind, _weight in counting.calls)),
        "argon2": configured,
    }


# -- the storm -----------------------------------------------------------------------------------
def run_storm(stack, seeded: dict, *, students: int, capacity: int, cores: int | None = None) -> dict:
    """The upgrade, the limit before and after, and the three levels, on ``stack`` (gunicorn serving the seeded
    database, with 3 x ``students`` storm students)."""
    cores = cores or os.cpu_count() or 1
    if seeded.get("storm_students", 0) < students * len(MULTIPLES):
        raise ValueError(f"the storm needs {students * len(MULTIPLES)} storm students; the seed made fewer")
    print("  storm: counting one student's hashes ...", flush=True)
    counted = hashes_per_student()
    stack.portal("upgrade", "complete", "--force-password-change", "--note", "bench storm")
    print("  storm: argon2 hashes per second ...", flush=True)
    rates = [argon2_hashes_per_second(counted["argon2"], processes=cores)]
    emails = storm_emails(students * len(MULTIPLES))
    levels = []
    for index, multiple in enumerate(MULTIPLES):
        clients = multiple * capacity
        batch = emails[index * students : (index + 1) * students]
        print(f"  storm {multiple}x: {clients} clients, {len(batch)} students ...", flush=True)
        level = {"multiple": multiple, **run_level(stack.base_url, batch, seeded["password"], clients=clients)}
        level["half_done"] = half_done(stack.database_url, batch)
        levels.append(level)
    rates.append(argon2_hashes_per_second(counted["argon2"], processes=cores))
    hashes_per_second = round(sum(rates) / len(rates), 1)
    limit = storm_limit(hashes_per_second, counted["hashes"])
    for level in levels:
        level["share_of_limit"] = round(level["changes_per_second"] / limit, 3)
        level["within_budget"] = level_budget(level["multiple"], level)
    return {
        "capacity": capacity,
        "cores": cores,
        "students_per_level": students,
        "argon2": counted["argon2"],
        "hashes_per_student": counted["hashes"],
        "hash_calls_per_student": counted["calls"],
        "argon2_hashes_per_second": hashes_per_second,
        "argon2_hashes_per_second_before_after": rates,
        "limit_changes_per_second": round(limit, 2),
        "budgets": {"share_of_limit_min": LIMIT_SHARE_BUDGET, "request_timeout_s": REQUEST_TIMEOUT_S},
        "levels": levels,
    }


def run_alone(args) -> dict:
    """The storm on its own small dataset: PostgreSQL when its binaries are here, else SQLite."""
    use_pg = args.db == "postgresql" or (args.db == "auto" and find_pg_bin() is not None)
    cores = os.cpu_count() or 1
    workdir = Path(tempfile.mkdtemp(prefix="portal-storm-"))
    pg, stack = None, None
    try:
        if use_pg:
            pg = PostgresServer(find_pg_bin())
            pg.start()
            url = pg.create_database("storm")
        else:
            url = f"sqlite:///{workdir / 'storm.db'}"
        stack = bench_stack(url, workdir / "logs", workers=cores)
        print(f"Seeding {'PostgreSQL' if use_pg else 'SQLite'} for the storm ...", flush=True)
        stack.migrate()
        seeded = stack.seed(
            "bench.seed",
            "--scale",
            "0.001",
            "--export-changes",
            "0",
            "--storm-students",
            str(args.students * len(MULTIPLES)),
        )
        stack.start_web(access_log=False)
        storm = run_storm(stack, seeded, students=args.students, capacity=args.capacity or cores * THREADS_PER_WORKER)
    finally:
        if stack is not None:
            stack.stop()
        if pg is not None:
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "python -m bench.storm " + " ".join(sys.argv[1:]),
        "git_commit": git_commit(),
        "machine": {"cpus": cores},
        "database": "postgresql" if use_pg else "sqlite",
        "gunicorn": {"workers": cores, "worker_class": "gthread", "threads": THREADS_PER_WORKER},
        "storm": storm,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The sign-in storm after a forced password change, alone.")
    parser.add_argument("--students", type=int, default=200, help="students per level (fresh at each level)")
    parser.add_argument("--capacity", type=int, default=0, help="clients at 1x (default: cores x threads per worker)")
    parser.add_argument("--db", choices=["auto", "postgresql", "sqlite"], default="auto")
    parser.add_argument("--output", default="storm", help="results file name under bench/results/ (no suffix)")
    parser.add_argument("--count-hashes", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.count_hashes:
        print(json.dumps(_count()))
        return 0
    report = run_alone(args)
    write_results(report, args.output)
    print()
    print(table(report))
    print(f"\nWrote bench/results/{args.output}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
