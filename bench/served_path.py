"""Where a served page's time goes: CPU, SQL statements, round trips and pool checkouts per request, in process.

The four pages the budgets name (student dashboard, employers list, DSO search, Student Information) and the
sign-in page, through the whole WSGI stack (Flask test client: session cookie, Flask-Login, CSRF, the
maintenance gate, templates, the security headers) against PostgreSQL with a production-shaped config (CSRF
and rate limits on). Requests are sent as wrk sends them: the signed-in user's cookie as a fixed header.

Figures per request, each a mean over ``-n`` requests after ``--warm`` untimed ones:

- CPU ms: this process's CPU time (``time.process_time``), not wall-clock: the figure a busy machine disturbs least;
- SQL: statements SQLAlchemy sends (``before_cursor_execute``), the site state's periodic read left out;
- round trips: messages that wait for the server's answer, counted from libpq's own protocol trace of every
  pooled connection (a simple Query, or a Sync closing Parse/Bind/Execute); so BEGIN, COMMIT, the
  reset-on-return ROLLBACK and a pool pre-ping are counted too;
- checkouts: connections taken from the pool.

Without ``--db`` a throwaway PostgreSQL server is started, migrated and seeded with ``bench.seed`` (``--scale``,
0.05 by default: statements per page do not depend on the data's size) and removed afterwards.

    python -m bench.served_path                          # throwaway server, -n 500
    python -m bench.served_path --db URL --seed SEED.json  # an already seeded database
    python -m bench.served_path --profile "Student Information"   # cProfile one page, in CPU time (top functions)
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import os
import pstats
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import pyotp
from psycopg import pq
from sqlalchemy import event

from bench.inprocess import csrf_token, production_app
from portal.extensions import db
from portal.services.site_state import PERIODIC
from tests.support.ports import free_port
from tests.support.postgres import PostgresServer, find_pg_bin

ROOT = Path(__file__).resolve().parent.parent


def pages(seeded: dict) -> list[dict]:
    return [
        {"name": "sign-in page", "path": "/", "role": None},
        {"name": "student dashboard", "path": "/dashboard", "role": "student"},
        {"name": "employers list", "path": "/employers", "role": "student"},
        {"name": "DSO students search", "path": f"/admin/students?q={seeded['search']}", "role": "dso"},
        {"name": "Student Information", "path": f"/admin/students/{seeded['student_sevis_id']}", "role": "dso"},
    ]


def _post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": csrf_token(client.get(path))})


def _cookie(app, email: str, password: str, mfa_secret: str | None = None) -> str:
    """Sign in through the real pages (TOTP step and attestation when they come); the Cookie header wrk would send."""
    client = app.test_client()
    response = client.post("/", data={"email": email, "password": password, "csrf_token": csrf_token(client.get("/"))})
    if response.status_code not in (302, 303):
        raise SystemExit(f"signing in as {email} answered {response.status_code}")
    for _hop in range(5):  # follow the sign-in's steps to a page: the TOTP step and the attestation when they come
        location = response.headers.get("Location", "").split("?")[0]
        if response.status_code not in (302, 303):
            break
        if location.endswith("/mfa/verify"):
            response = _post(client, location, {"code": pyotp.TOTP(mfa_secret).now()})
        elif location.endswith("/attestation"):
            response = _post(client, location, {"accept": "y"})
        else:
            response = client.get(location)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return f"{cookie.key}={cookie.value}"


class Connections:
    """Every pooled connection's libpq protocol trace (while ``tracing``) and its server process's CPU time."""

    WAITS = ("\tQuery\t", "\tSync")

    def __init__(self, engine) -> None:
        self.file = tempfile.NamedTemporaryFile(prefix="served-path-trace-", suffix=".log", delete=False)  # noqa: SIM115
        self.offset = 0
        self.enabled = engine.dialect.name == "postgresql"
        self.pgconns: list = []
        self.backend_pids: list[int] = []
        if self.enabled:
            engine.pool.dispose()  # connections opened before this are not known: open new ones
            event.listen(engine, "connect", self._connected)

    def _connected(self, dbapi_connection, _record) -> None:
        self.pgconns.append(dbapi_connection.pgconn)
        self.backend_pids.append(dbapi_connection.info.backend_pid)

    def trace(self, on: bool) -> None:
        for pgconn in self.pgconns:
            if on:
                pgconn.trace(self.file.fileno())
                pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
            else:
                pgconn.untrace()

    def round_trips(self) -> int:
        """Client messages that waited for the server's answer since the last call."""
        if not self.enabled:
            return 0
        with open(self.file.name, encoding="utf-8", errors="replace") as trace:
            trace.seek(self.offset)
            text = trace.read()
            self.offset = trace.tell()
        return sum(1 for line in text.splitlines() if line.startswith("F\t") and any(w in line for w in self.WAITS))

    def server_cpu_seconds(self) -> float:
        """User and system CPU of the server processes behind the pooled connections (same machine only)."""
        total = 0
        for pid in self.backend_pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
        return total / os.sysconf("SC_CLK_TCK")


def measure(
    database_url: str, seeded: dict, n: int, warm: int, counted: int, profile: str | None, top: int
) -> list[dict]:
    app = production_app(database_url)
    cookies = {
        None: None,
        "student": _cookie(app, seeded["student_email"], seeded["password"]),
        "dso": _cookie(app, seeded["dso_email"], seeded["password"], seeded["mfa_secret"]),
    }
    client = app.test_client(use_cookies=False)
    with app.app_context():
        engine = db.engine
    connections = Connections(engine)
    counts = {"sql": 0, "checkouts": 0}

    def count_statement(_conn, _cursor, _statement, _parameters, context, _executemany):
        if context is None or not context.execution_options.get(PERIODIC):
            counts["sql"] += 1

    def count_checkout(*_args):
        counts["checkouts"] += 1

    results = []
    try:
        for page in pages(seeded):
            headers = {"Cookie": cookies[page["role"]]} if page["role"] else {}
            for _ in range(warm):
                response = client.get(page["path"], headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"{page['name']} answered {response.status_code}")
            # CPU first, with nothing listening; then the statements and round trips of ``counted`` more.
            profiler = (
                cProfile.Profile(time.process_time) if profile and profile.lower() in page["name"].lower() else None
            )
            server_started = connections.server_cpu_seconds()
            started = time.process_time()
            if profiler:
                profiler.enable()
            for _ in range(n):
                response = client.get(page["path"], headers=headers)
            if profiler:
                profiler.disable()
            cpu_ms = (time.process_time() - started) * 1000 / n
            server_ms = (connections.server_cpu_seconds() - server_started) * 1000 / n
            if profiler:
                print(f"\n== {page['name']}: cProfile over {n} requests ==")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)
                pstats.Stats(profiler).sort_stats("tottime").print_stats(top)
                if os.environ.get("SERVED_PATH_PSTATS"):
                    profiler.dump_stats(os.environ["SERVED_PATH_PSTATS"])
            event.listen(engine, "before_cursor_execute", count_statement)
            event.listen(engine.pool, "checkout", count_checkout)
            connections.trace(True)
            connections.round_trips()
            counts.update(sql=0, checkouts=0)
            try:
                for _ in range(counted):
                    client.get(page["path"], headers=headers)
            finally:
                connections.trace(False)
                event.remove(engine, "before_cursor_execute", count_statement)
                event.remove(engine.pool, "checkout", count_checkout)
            results.append(
                {
                    "name": page["name"],
                    "status": response.status_code,
                    "n": n,
                    "cpu_ms": None if profiler else round(cpu_ms, 2),
                    "server_cpu_ms": None if profiler else round(server_ms, 2),
                    "sql": counts["sql"] / counted,
                    "round_trips": connections.round_trips() / counted,
                    "checkouts": counts["checkouts"] / counted,
                }
            )
    finally:
        os.unlink(connections.file.name)
    return results


def _cpu_seconds(pid: int) -> float:
    """utime + stime of one process, all its threads (proc(5) fields 14 and 15)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(ppid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == ppid:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def served(database_url: str, seeded: dict, n: int, workers: int, threads: int, connections: int) -> list[dict]:
    """Machine CPU per request under gunicorn: its workers' CPU and the database server's, while ``connections``
    clients (keep-alive, one thread each) request each page ``n`` times in all. The clients' own CPU is not counted.
    """
    app = production_app(database_url)
    cookies = {
        None: None,
        "student": _cookie(app, seeded["student_email"], seeded["password"]),
        "dso": _cookie(app, seeded["dso_email"], seeded["password"], seeded["mfa_secret"]),
    }
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as probe:
        backend = probe.info.backend_pid
        postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    port = free_port()
    command = [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    command += ["--threads", str(threads), "--worker-class", "gthread" if threads > 1 else "sync", "portal.wsgi:app"]
    env = {**os.environ, "DATABASE_URL": database_url, "PORTAL_ENV": "development"}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    results = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/healthz")
                probe.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

        def machine_cpu() -> float:
            return sum(_cpu_seconds(pid) for pid in (*_children(server.pid), *_children(postmaster)))

        for page in pages(seeded):
            headers = {"Cookie": cookies[page["role"]]} if page["role"] else {}
            statuses: list[int] = []

            def client(count: int, headers=headers, page=page, statuses=statuses) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                for _ in range(count):
                    conn.request("GET", page["path"], headers=headers)
                    response = conn.getresponse()
                    response.read()
                    statuses.append(response.status)

            for count in (max(n // 10, connections), n):  # warm, then measured
                statuses.clear()
                started, wall = machine_cpu(), time.monotonic()
                clients = [threading.Thread(target=client, args=(count // connections,)) for _ in range(connections)]
                for thread in clients:
                    thread.start()
                for thread in clients:
                    thread.join()
                done = len(statuses)
            results.append(
                {
                    "name": page["name"],
                    "status": max(statuses),
                    "requests": done,
                    "machine_cpu_ms": round((machine_cpu() - started) * 1000 / done, 2),
                    "wall_ms": round((time.monotonic() - wall) * 1000 / done, 2),
                }
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def _throwaway_database(scale: float) -> tuple[object, str, dict]:
    pg_bin = find_pg_bin()
    if pg_bin is None:
        raise SystemExit("no PostgreSQL binaries here: pass --db")
    server = PostgresServer(pg_bin)
    server.start()
    url = server.create_database("served_path")
    env = {**os.environ, "DATABASE_URL": url, "PORTAL_ENV": "development"}
    portal = Path(sys.executable).parent / "portal"
    subprocess.run([str(portal), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    seeding = subprocess.run(
        [sys.executable, "-m", "bench.seed", "--scale", str(scale), "--export-changes", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return server, url, json.loads(seeding.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="an already seeded PostgreSQL URL (with --seed); default: a throwaway server")
    parser.add_argument("--seed", help="bench.seed's JSON output for --db")
    parser.add_argument("--scale", type=float, default=0.05, help="bench.seed's scale for the throwaway server")
    parser.add_argument("-n", type=int, default=500, help="timed requests per page")
    parser.add_argument("--warm", type=int, default=50, help="untimed requests per page first")
    parser.add_argument("--counted", type=int, default=20, help="requests per page whose statements are counted")
    parser.add_argument("--profile", help="cProfile the page whose name contains this (its CPU figure is left out)")
    parser.add_argument("--top", type=int, default=40, help="functions shown per cProfile listing")
    parser.add_argument(
        "--gunicorn",
        metavar="WORKERS,THREADS",
        help="also serve with gunicorn (e.g. 2,4: what make bench uses) and report machine CPU per request",
    )
    parser.add_argument("--connections", type=int, default=4, help="concurrent clients for --gunicorn")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    server = None
    if args.db:
        url, seeded = args.db, json.loads(Path(args.seed).read_text())
    else:
        server, url, seeded = _throwaway_database(args.scale)
    try:
        results = measure(url, seeded, args.n, args.warm, args.counted, args.profile, args.top)
        if args.gunicorn:
            workers, threads = (int(part) for part in args.gunicorn.split(","))
            for row, under in zip(
                results, served(url, seeded, args.n, workers, threads, args.connections), strict=True
            ):
                row["gunicorn"] = {"workers": workers, "threads": threads, **under}
    finally:
        if server is not None:
            server.stop()
    if args.json:
        print(json.dumps(results))
        return 0
    print(
        f"{'page':<22} {'status':>6} {'CPU ms':>7} {'server CPU ms':>13} {'SQL':>5} {'round trips':>11} {'checkouts':>9}"
    )
    for row in results:
        cpu = "-" if row["cpu_ms"] is None else f"{row['cpu_ms']:.2f}"
        server = "-" if row["server_cpu_ms"] is None else f"{row['server_cpu_ms']:.2f}"
        print(
            f"{row['name']:<22} {row['status']:>6} {cpu:>7} {server:>13} {row['sql']:>5.1f} "
            f"{row['round_trips']:>11.1f} {row['checkouts']:>9.1f}"
        )
    if args.gunicorn:
        first = results[0]["gunicorn"]
        print(
            f"\nserved by gunicorn ({first['workers']} workers, {first['threads']} threads), {args.connections} "
            "keep-alive clients: machine CPU (gunicorn workers + PostgreSQL) per request"
        )
        for row in results:
            under = row["gunicorn"]
            print(
                f"{row['name']:<22} {under['status']:>6} {under['machine_cpu_ms']:>7.2f} ms  (wall {under['wall_ms']} ms)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
