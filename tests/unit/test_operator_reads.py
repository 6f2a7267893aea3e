"""What the operator's pages read: email queue health, maintenance windows a page at a time, recent upgrades."""

from datetime import UTC, datetime, timedelta

import time_machine

from portal.mail.outbox import queue_email
from portal.models import utcnow
from portal.models.enums import EmailStatus
from portal.services.actors import Actor
from portal.services.maintenance import schedule_window
from portal.services.operator_reads import FAILED_SHOWN, email_queue, maintenance_windows, recent_upgrades
from portal.services.upgrades import complete_upgrade


def test_the_queue_counts_each_status_and_lists_the_newest_failures_first(factory, db_session):
    student = factory.student()
    emails = []
    for n in range(FAILED_SHOWN + 2):
        with time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=UTC) + timedelta(minutes=n), tick=False):
            emails.append(
                queue_email(
                    db_session,
                    template="problem_received",
                    to=student.email,
                    student=student,
                    context={"student_name": "Terry", "reported_on": "March 1, 2026", "summary": f"n{n}"},
                )
            )
    for email in emails[1:]:
        email.status = EmailStatus.FAILED
    db_session.flush()
    counts, failed = email_queue(db_session)
    assert counts[EmailStatus.FAILED] == FAILED_SHOWN + 1 and counts[emails[0].status] >= 1
    assert failed == emails[:0:-1][:FAILED_SHOWN]


def test_windows_come_a_page_at_a_time_latest_start_first(db_session):
    start = utcnow() + timedelta(days=1)
    windows = [
        schedule_window(
            db_session,
            starts_at=start + timedelta(days=n),
            ends_at=start + timedelta(days=n, hours=1),
            message=f"Window {n}",
            actor=Actor.system(),
        )
        for n in range(5)
    ]
    first, more = maintenance_windows(db_session, page=1, per_page=3)
    last, no_more = maintenance_windows(db_session, page=2, per_page=3)
    assert (first, more) == (windows[:1:-1], True) and (last, no_more) == (windows[1::-1], False)


def test_recent_upgrades_are_the_latest_first(db_session):
    upgrades = []
    for n in range(3):
        with time_machine.travel(datetime(2026, 3, 1 + n, tzinfo=UTC), tick=False):
            upgrades.append(
                complete_upgrade(db_session, actor=Actor.system(), force_password_change=False, note=f"Release {n}")
            )
    assert recent_upgrades(db_session, 2) == [upgrades[2], upgrades[1]]
