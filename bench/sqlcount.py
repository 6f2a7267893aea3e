"""SQL statements per request and gzipped response bytes, for each benchmark page, through the app in-process.

Run as ``python -m bench.sqlcount PAGES_JSON`` with DATABASE_URL set; prints JSON {name: {...}}.
Each page is requested twice as its user and the second (warm) request is counted. The site state's periodic
refresh (two statements per process every few seconds, services/site_state.py) is not counted.
"""

from __future__ import annotations

import gzip
import json
import sys

import pyotp
from sqlalchemy import event

from portal import create_app
from portal.config import Config
from portal.extensions import db
from portal.services.site_state import PERIODIC


def measure(pages: list[dict], accounts: dict) -> dict:
    class BenchConfig(Config):
        WTF_CSRF_ENABLED = False
        RATELIMIT_ENABLED = False
        SESSION_COOKIE_SECURE = False

    app = create_app(BenchConfig)
    clients = {None: app.test_client()}
    for role, account in accounts.items():
        client = app.test_client()
        client.post("/", data={"email": account["email"], "password": account["password"]})
        if account.get("mfa_secret"):
            client.post("/mfa/verify", data={"code": pyotp.TOTP(account["mfa_secret"]).now()})
        if role == "student":
            client.post("/attestation", data={"accept": "y"})
        clients[role] = client

    results = {}
    with app.app_context():
        engine = db.engine
    counter = {"n": 0}

    def count(_conn, _cursor, _statement, _parameters, context, _executemany):
        if context is not None and context.execution_options.get(PERIODIC):
            return  # the site state's refresh (services/site_state.py): per process every few seconds, not per request
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    for page in pages:
        client = clients[page.get("role")]
        headers = {"HX-Request": "true"} if page.get("htmx") else {}
        for _attempt in range(2):
            counter["n"] = 0
            if page.get("method", "GET") == "POST":
                response = client.post(page["path"], data=page.get("form", {}), headers=headers)
            else:
                response = client.get(page["path"], headers=headers)
            body = response.get_data()
        results[page["name"]] = {
            "status": response.status_code,
            "sql": counter["n"],
            "bytes": len(body),
            "gzip_bytes": len(gzip.compress(body, 6)),
        }
    event.remove(engine, "before_cursor_execute", count)
    return results


def main() -> int:
    spec = json.loads(sys.argv[1])
    json.dump(measure(spec["pages"], spec["accounts"]), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
