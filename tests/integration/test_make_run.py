"""`make run` as an operator starts it (scripts/serve.py, its defaults): the sign-in rate limit is the configured one.

Before, serve.py started two gunicorn processes that each counted the limit in their own memory, so a client got
about twice the limit (40 of 45 sign-ins accepted against 20 a minute). No browser: a client through the real pages.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bench.client import Client
from tests.browser.harness import BIN, LOOPBACK, ROOT, free_port

# One SQLite file in a temporary instance directory whatever the half; once is enough.
pytestmark = pytest.mark.skipif(
    os.environ.get("PORTAL_TEST_DB", "sqlite") != "sqlite",
    reason="serves its own SQLite instance; runs in the SQLite half",
)

LIMIT = 5
ATTEMPTS = 2 * LIMIT


@pytest.fixture
def served_like_make_run():
    """scripts/serve.py on a free loopback port with a fresh instance directory; the limit per hour (no window edge)."""
    instance = Path(tempfile.mkdtemp(prefix="portal-make-run-"))
    port = free_port()
    env = dict(
        os.environ,
        PORTAL_INSTANCE_DIR=str(instance),
        PORTAL_ENV="development",
        PORTAL_BIND=f"{LOOPBACK}:{port}",
        BASE_URL=f"http://{LOOPBACK}:{port}",
        SIGN_IN_RATE_LIMIT=f"{LIMIT} per hour",
        PYTHONUNBUFFERED="1",
    )
    for name in (
        "PORTAL_TEST_DB",
        "DATABASE_URL",
        "WEB_CONCURRENCY",
        "PORTAL_THREADS",
        "RATELIMIT_STORAGE_URI",
        "SMTP_HOST",
        "UPLOAD_DIR",
        "MAILBOX_DIR",
    ):
        env.pop(name, None)
    subprocess.run([str(BIN / "portal"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    log_path = instance / "serve.log"
    with open(log_path, "wb") as log:
        serve = subprocess.Popen(
            [sys.executable, "scripts/serve.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        base_url = f"http://{LOOPBACK}:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert serve.poll() is None, log_path.read_text(errors="replace")
                try:
                    with urllib.request.urlopen(f"{base_url}/healthz", timeout=2):  # noqa: S310 (loopback)
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    assert time.monotonic() < deadline, f"no answer in 60 s:\n{log_path.read_text(errors='replace')}"
                    time.sleep(0.1)
            yield base_url, log_path
        finally:
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                serve.kill()
                serve.wait()
            # Stopping make run stops what it started: no gunicorn is left serving the port with no parent.
            deadline = time.monotonic() + 30
            while _answers(port):
                assert time.monotonic() < deadline, f"gunicorn still serves {base_url} after make run stopped"
                time.sleep(0.1)


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((LOOPBACK, port)) == 0


def test_make_run_holds_the_sign_in_limit_across_all_its_requests(served_like_make_run):
    base_url, log_path = served_like_make_run
    statuses = []
    for attempt in range(ATTEMPTS):
        client = Client(base_url)  # a new client each time, as a script would be: the limit is per address
        response = client.post_form("/", {"email": f"nobody{attempt}@example.org", "password": "wrong guess"})
        statuses.append(response.status)
    assert 429 not in statuses[:LIMIT], statuses
    assert statuses[LIMIT:] == [429] * (ATTEMPTS - LIMIT), f"{LIMIT} per hour, not {LIMIT} per process: {statuses}"
    assert "RATE LIMITS NOT SHARED" not in log_path.read_text(errors="replace")
