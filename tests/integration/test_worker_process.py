"""`portal worker` as a real process: killed mid-batch it loses nothing, and parallel workers never send one email twice."""

import os
import signal
import time

import pytest
from sqlalchemy import func, select

from portal.mail.outbox import queue_email
from portal.models import Event, OutboxEmail, School
from portal.models.enums import EmailStatus
from portal.services.actors import Actor
from portal.services.students import create_student
from tests.support.live_db import live_app, live_session, portal_env, start_portal
from tests.support.smtp import SmtpServer

TEST_DB = os.environ.get("PORTAL_TEST_DB", "sqlite")


def _queue_emails(application, count: int) -> set[str]:
    with live_session(application) as session:
        school = School(name="Crash Test University", code="CRA214F0000001")
        session.add(school)
        session.flush()
        message_ids = set()
        for number in range(count):
            student = create_student(
                session,
                Actor.system(),
                school=school,
                sevis_id=f"N{number + 1:010d}",
                surname=f"Student{number}",
                email=f"s{number}@example.edu",
            )
            email = queue_email(
                session,
                template="problem_received",
                to=student.email,
                student=student,
                context={"student_name": student.full_name, "reported_on": "today", "summary": "x"},
            )
            message_ids.add(email.message_id)
        session.commit()
    return message_ids


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def _smtp_env(database_url, tmp_path, server, **extra):
    return portal_env(database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_TLS="none", **extra)


def test_worker_killed_mid_batch_loses_nothing_and_every_email_arrives_once_by_message_id(fresh_database_url, tmp_path):
    application = live_app(fresh_database_url)
    expected = _queue_emails(application, 24)
    with SmtpServer() as server:
        server.handler.delay = 0.05
        worker = start_portal(
            ["worker", "--batch-size", "8", "--idle-seconds", "0.1"], _smtp_env(fresh_database_url, tmp_path, server)
        )
        _wait_for(lambda: len(server.handler.messages) >= 5)
        os.kill(worker.pid, signal.SIGKILL)  # mid-batch: claimed, some sent, not all recorded
        worker.wait()
        received_before_restart = set(server.handler.message_ids)
        assert 0 < len(received_before_restart) < len(expected)

        restarted = start_portal(
            ["worker", "--until-empty"], _smtp_env(fresh_database_url, tmp_path, server, EMAIL_CLAIM_LEASE_SECONDS=0)
        )
        output, _ = restarted.communicate(timeout=120)
        assert restarted.returncode == 0, output.decode()

    counts = server.handler.message_ids
    assert set(counts) == expected  # nothing lost
    # Only a message that was in flight when the worker died may reach the server twice, with the same Message-ID.
    assert sum(counts.values()) - len(expected) <= 8
    with live_session(application) as session:
        statuses = session.execute(select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)).all()
        assert dict(statuses) == {EmailStatus.SENT: len(expected)}
        sent_events = session.scalar(select(func.count()).select_from(Event).where(Event.event_type == "email.sent"))
        assert sent_events == len(expected)  # recorded once each, even when resent


@pytest.mark.skipif(TEST_DB != "postgresql", reason="several workers share the queue only on PostgreSQL")
def test_several_workers_on_postgresql_never_send_one_email_twice(fresh_database_url, tmp_path):
    application = live_app(fresh_database_url)
    expected = _queue_emails(application, 60)
    with SmtpServer() as server:
        server.handler.delay = 0.01
        env = _smtp_env(fresh_database_url, tmp_path, server)
        workers = [start_portal(["worker", "--until-empty", "--batch-size", "3"], env) for _ in range(3)]
        for worker in workers:
            output, _ = worker.communicate(timeout=180)
            assert worker.returncode == 0, output.decode()
    counts = server.handler.message_ids
    assert set(counts) == expected
    assert max(counts.values()) == 1
