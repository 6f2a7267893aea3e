"""Scale-out: two gunicorn instances and two workers on one PostgreSQL and one Redis, all on loopback.

A session started on one instance continues on the other and ends on both; the sign-in rate limit
counts across both (Redis); every email in the outbox reaches the SMTP sink exactly once although two
workers poll the same queue. Runs in the PostgreSQL half of `make test` (and `make scale-out`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter

import pytest

from bench.client import Client
from tests.browser.harness import ROOT, RedisServer, SmtpSink, Stack

pytestmark = pytest.mark.skipif(
    os.environ.get("PORTAL_TEST_DB", "sqlite") != "postgresql",
    reason="scale-out needs PostgreSQL: it runs in the PostgreSQL half of make test",
)

SIGN_IN_LIMIT = 6
EMAILS = 30

QUEUE_EMAILS = """
import sys
from portal import create_app
from portal.extensions import db
from portal.mail.outbox import queue_email
app = create_app()
with app.app_context():
    for number in range(int(sys.argv[1])):
        queue_email(db.session, template="password_changed", to=f"scale{number}@example.org",
                    context={"name": f"Person {number}"}, dedupe_key=f"scale-out-{number}")
    db.session.commit()
"""


@pytest.fixture(scope="module")
def two_instances(postgres_server, tmp_path_factory):
    redis = RedisServer().start()
    sink = SmtpSink().start()
    database_url = postgres_server.create_database("portal_scale_out")
    env = {"RATELIMIT_STORAGE_URI": redis.url, "SIGN_IN_RATE_LIMIT": f"{SIGN_IN_LIMIT} per minute"}
    logs = ROOT / "test-artifacts" / "scale-out-logs"
    first = Stack(database_url, smtp_port=sink.port, workers=2, threads=2, extra_env=env, log_dir=logs)
    second = Stack(database_url, smtp_port=sink.port, workers=2, threads=2, extra_env=env, log_dir=logs)
    try:
        first.migrate()
        seeded = first.seed()
        first.start_web("gunicorn-1")
        second.start_web("gunicorn-2")
        yield {"first": first, "second": second, "sink": sink, "seeded": seeded, "redis": redis}
    finally:
        first.stop()
        second.stop()
        sink.stop()
        redis.stop()


def test_a_session_started_on_one_instance_continues_and_ends_on_the_other(two_instances):
    first, second, seeded = two_instances["first"], two_instances["second"], two_instances["seeded"]
    client = Client(first.base_url)
    client.sign_in(seeded["users"]["student"], seeded["password"])
    assert client.get(f"{first.base_url}/dashboard").status == 200
    on_second = client.get(f"{second.base_url}/dashboard")
    assert on_second.status == 200 and on_second.url.endswith("/dashboard"), on_second.url
    token = on_second.csrf()
    signed_out = client.request("POST", f"{second.base_url}/sign-out", {"csrf_token": token})
    assert signed_out.status < 400
    back_on_first = client.get(f"{first.base_url}/dashboard")
    assert back_on_first.url.split("?")[0].rstrip("/") == first.base_url, "signed out on both instances"


def test_the_sign_in_rate_limit_is_shared_by_both_instances(two_instances):
    first, second = two_instances["first"], two_instances["second"]
    two_instances["redis"].flush()
    statuses = []
    for attempt in range(SIGN_IN_LIMIT + 2):
        base = (first if attempt % 2 == 0 else second).base_url
        client = Client(base)
        response = client.post_form(f"{base}/", {"email": f"nobody{attempt}@example.org", "password": "wrong guess"})
        statuses.append(response.status)
    assert statuses[:SIGN_IN_LIMIT].count(429) == 0, statuses
    assert statuses[SIGN_IN_LIMIT:] == [429, 429], f"one limit across both instances, not one each: {statuses}"


def test_two_workers_send_every_outbox_email_exactly_once(two_instances):
    first, second, sink = two_instances["first"], two_instances["second"], two_instances["sink"]
    subprocess.run([sys.executable, "-c", QUEUE_EMAILS, str(EMAILS)], cwd=ROOT, env=first.env, check=True)
    assert first.start_worker("worker-1") and second.start_worker("worker-2"), "portal worker is not built"
    deadline = time.monotonic() + 60
    while True:
        arrived = [mail for mail in sink.messages if mail.rcpt_tos[0].startswith("scale")]
        if len(arrived) >= EMAILS or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    time.sleep(3)  # a duplicate would arrive now
    arrived = [mail for mail in sink.messages if mail.rcpt_tos[0].startswith("scale")]
    per_recipient = Counter(mail.rcpt_tos[0] for mail in arrived)
    assert len(per_recipient) == EMAILS, f"{len(per_recipient)} of {EMAILS} recipients got their email"
    assert max(per_recipient.values()) == 1, f"sent twice: {[r for r, n in per_recipient.items() if n > 1]}"
    assert len({mail.message_id for mail in arrived}) == EMAILS
    for name in ("worker-1", "worker-2"):
        assert first.processes.get(name, second.processes.get(name)).poll() is None, f"{name} died"
