"""Milliseconds and SQL statements per request for the student-facing benchmark pages, in-process.

No gunicorn, no wrk: the Flask test client against a production-shaped config (CSRF on, rate limits on,
memory storage), so a change to the request pipeline can be measured on a shared machine. Requests are
sent as wrk sends them: the signed-in student's cookie as a fixed header, no cookie on anonymous pages.
"CPU ms" is this process's CPU time per request (the database server's is not in it): the figure least
disturbed by other work on a shared machine.

    python -m bench.inprocess --db postgresql+psycopg://.../copy --seed /tmp/benchpg-seed.json -n 1000
    python -m bench.inprocess --db sqlite:////path/demo.db --email student02@northfield.example.edu \\
        --password "lantern maple orbit 42"

An SQLite file is copied first and the copy measured. On PostgreSQL the employers the add-employer POST
created (and their events and emails) are removed afterwards, so runs can repeat on one database.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, text

from bench.forms import employer_form
from portal import create_app
from portal.config import Config
from portal.extensions import db

try:
    from portal.services.site_state import PERIODIC
except ImportError:  # a tree from before the site state (to measure "before" with the same script)
    PERIODIC = "portal_periodic_read"

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
EMPLOYER_FORM = employer_form()
PAGES = [
    {"name": "sign-in page", "path": "/", "role": None},
    {"name": "healthz (check)", "path": "/healthz", "role": None},
    {"name": "student dashboard", "path": "/dashboard", "role": "student"},
    {"name": "employers list", "path": "/employers", "role": "student"},
    {"name": "add employer (htmx POST)", "path": "/employers", "role": "student", "method": "POST", "htmx": True},
]


def production_app(database_url: str):
    """The app as production configures it (CSRF and rate limits on), on ``database_url``, over plain HTTP."""

    class InProcessConfig(Config):
        DATABASE_URL = database_url
        SESSION_COOKIE_SECURE = False
        RATELIMIT_STORAGE_URI = "memory://"

    return create_app(InProcessConfig)


def csrf_token(response) -> str:
    """The CSRF token a page carries, in its meta tag or a form's hidden field ("" when none)."""
    body = response.get_data(as_text=True)
    match = CSRF_META.search(body) or CSRF_INPUT.search(body)
    return match.group(1) if match else ""


def _student_cookie(app, email: str, password: str) -> tuple[str, str]:
    """Sign in through the real pages; the Cookie header and the CSRF token wrk would be given."""
    client = app.test_client()
    token = csrf_token(client.get("/"))
    response = client.post("/", data={"email": email, "password": password, "csrf_token": token})
    if response.status_code not in (302, 303):
        raise SystemExit(f"signing in as {email} answered {response.status_code}")
    token = csrf_token(client.get("/attestation"))
    client.post("/attestation", data={"accept": "y", "csrf_token": token})
    if client.get("/dashboard").status_code != 200:
        raise SystemExit(f"{email} did not reach the dashboard")
    csrf = csrf_token(client.get("/employers"))
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return f"{cookie.key}={cookie.value}", csrf


def _request(client, page: dict, cookie: str | None, csrf: str):
    """Like wrk: the same Cookie header every time (none for an anonymous page), Set-Cookie ignored."""
    headers = {"Cookie": cookie} if page["role"] and cookie else {}
    if page.get("method") == "POST":
        headers.update({"HX-Request": "true", "X-CSRFToken": csrf})
        return client.post(page["path"], data=EMPLOYER_FORM, headers=headers)
    return client.get(page["path"], headers=headers)


def _high_water_marks(session) -> dict:
    return {
        table: session.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar()  # noqa: S608
        for table in ("employers", "events", "outbox_emails")
    }


def _remove_rows_added(app, marks: dict) -> None:
    """Undo the POSTs on PostgreSQL: rows added since ``marks`` (the events table refuses deletes: triggers off)."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in ("events", "outbox_emails", "employers"):
            conn.execute(text(f"DELETE FROM {table} WHERE id > :mark"), {"mark": marks[table]})  # noqa: S608


def measure(database_url: str, email: str, password: str, n: int, warm: int, profile: str | None) -> list[dict]:
    app = production_app(database_url)
    cookie, csrf = _student_cookie(app, email, password)
    client = app.test_client(use_cookies=False)
    with app.app_context():
        engine = db.engine
        marks = _high_water_marks(db.session)
        db.session.rollback()
    counter = {"n": 0}

    def count(_conn, _cursor, _statement, _parameters, context, _executemany):
        if context is None or not context.execution_options.get(PERIODIC):
            counter["n"] += 1

    results = []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for page in PAGES:
            for _ in range(warm):
                _request(client, page, cookie, csrf)
            timings, statements = [], []
            cpu_started = time.process_time()
            profiler = cProfile.Profile() if profile and profile in page["name"] else None
            for _ in range(n):
                counter["n"] = 0
                if profiler:
                    profiler.enable()
                started = time.perf_counter()
                response = _request(client, page, cookie, csrf)
                timings.append((time.perf_counter() - started) * 1000)
                if profiler:
                    profiler.disable()
                statements.append(counter["n"])
            cpu_ms = (time.process_time() - cpu_started) * 1000 / n
            if profiler:
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            timings.sort()
            results.append(
                {
                    "name": page["name"],
                    "status": response.status_code,
                    "n": n,
                    "ms_mean": statistics.fmean(timings),
                    "ms_p50": timings[len(timings) // 2],
                    "cpu_ms": cpu_ms,
                    "ms_p99": timings[int(len(timings) * 0.99) - 1],
                    "sql_min": min(statements),
                    "sql_max": max(statements),
                }
            )
    finally:
        event.remove(engine, "before_cursor_execute", count)
        if engine.dialect.name == "postgresql":
            _remove_rows_added(app, marks)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="SQLAlchemy URL; an SQLite file is copied first")
    parser.add_argument("--seed", help="bench.seed's JSON output (student e-mail and password)")
    parser.add_argument("--email")
    parser.add_argument("--password")
    parser.add_argument("-n", type=int, default=1000, help="timed requests per page")
    parser.add_argument("--warm", type=int, default=50, help="untimed requests per page first")
    parser.add_argument("--profile", help="cProfile the page whose name contains this")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    email, password = args.email, args.password
    if args.seed:
        seeded = json.loads(Path(args.seed).read_text())
        email, password = email or seeded["student_email"], password or seeded["password"]
    url = args.db
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        copy = Path(tempfile.mkdtemp(prefix="inprocess-")) / "copy.db"
        shutil.copyfile(url.removeprefix("sqlite:///"), copy)
        url = f"sqlite:///{copy}"
    results = measure(url, email, password, args.n, args.warm, args.profile)
    if args.json:
        print(json.dumps(results))
        return 0
    print(f"{'page':<26} {'status':>6} {'ms/req':>8} {'p50':>7} {'p99':>7} {'CPU ms':>7} {'SQL/req':>8}")
    for row in results:
        sql = str(row["sql_min"]) if row["sql_min"] == row["sql_max"] else f"{row['sql_min']}-{row['sql_max']}"
        print(
            f"{row['name']:<26} {row['status']:>6} {row['ms_mean']:>8.2f} {row['ms_p50']:>7.2f} "
            f"{row['ms_p99']:>7.2f} {row['cpu_ms']:>7.2f} {sql:>8}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
