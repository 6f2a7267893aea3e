"""The ten-year run (issue 11): the demo schools, the worker's daily work on every simulated day for ten years, and
every email queued or sent that day checked against its student's timeline on that day.

It runs on SQLite only: ten simulated years take a few minutes on one database, and what it checks is the rules
(the timeline, the marks, the sweep's choices and the re-checks), not the database. The sweep's SQL runs on both
databases in test_daily_sweep.py.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import or_, select

from portal.demo import seed
from portal.models import OptAuthorization, OutboxEmail, ProgramRecord, User, utcnow
from portal.models.enums import EmailStatus, OptKind, OptStatus, Role
from portal.services.actors import Actor
from portal.services.opt_decisions import approve_opt
from portal.services.timeline.database import timelines_for
from portal.worker.delivery import deliver_due_emails
from portal.worker.scheduled_notices import create_due_notices
from tests.conftest import TEST_DB
from tests.support.notice_claims import claim_contradicted

pytestmark = pytest.mark.skipif(
    TEST_DB != "sqlite",
    reason="ten simulated years on one database: the rules, not the "
    "database, are under test (see the module docstring)",
)

START = date(2025, 1, 6)
DAYS = 3653  # ten years, two leap days among them
LATE_APPROVAL_DAY = START + timedelta(days=10)
TIMELINE_NOTICES = (
    "unemployment_warning",
    "opt_ended",
    "access_ending",
    "access_ended",
    "stem_validation_due",
    "account_creation",
)
EVERY_NOTICE = (*TIMELINE_NOTICES, "reporting_not_recorded")


def _approve_pending_requests_late(db_session) -> int:
    """Finding 2: the demo's pending post-completion requests, approved long after their requested start."""
    pending = db_session.scalars(
        select(OptAuthorization).where(OptAuthorization.status == OptStatus.PENDING).order_by(OptAuthorization.id)
    ).all()
    approved = 0
    for opt in pending:
        if opt.start_date < LATE_APPROVAL_DAY and opt.kind is OptKind.POST_COMPLETION:
            school_id = opt.program_record.student.school_id
            dso = db_session.scalar(
                select(User).where(User.school_id == school_id, User.role == Role.DSO).order_by(User.id)
            )
            approve_opt(
                db_session,
                opt,
                actor=Actor.for_user(dso),
                actual_start_date=opt.start_date,
                actual_end_date=opt.end_date,
            )
            approved += 1
    db_session.commit()
    return approved


def test_ten_years_of_daily_notices_never_contradict_the_timeline(app, db_session, time_machine, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "MAILBOX_DIR", str(tmp_path))
    time_machine.move_to(datetime(START.year, START.month, START.day, 15, tzinfo=UTC), tick=False)
    seed(db_session, students_per_school=25, today=START)
    db_session.commit()
    future_start_accounts = set(
        db_session.scalars(
            select(ProgramRecord.student_id)
            .join(OptAuthorization)
            .where(
                OptAuthorization.status == OptStatus.APPROVED,
                OptAuthorization.kind == OptKind.POST_COMPLETION,
                OptAuthorization.start_date > START,
            )
            .order_by(ProgramRecord.student_id)
        )
    )
    assert (
        future_start_accounts
        and not db_session.scalars(select(User.id).where(User.student_id.in_(future_start_accounts))).all()
    )

    contradictions: list[str] = []
    sent: Counter[str] = Counter()
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        time_machine.move_to(datetime(day.year, day.month, day.day, 15, tzinfo=UTC), tick=False)
        now = utcnow()
        if day == LATE_APPROVAL_DAY:
            assert _approve_pending_requests_late(db_session) > 0
        create_due_notices(db_session, day)
        db_session.commit()
        while deliver_due_emails(db_session, worker_id="ten-year-run", limit=200).handled:
            pass
        todays = db_session.scalars(
            select(OutboxEmail)
            .where(
                OutboxEmail.template.in_(EVERY_NOTICE), or_(OutboxEmail.queued_at >= now, OutboxEmail.sent_at >= now)
            )
            .order_by(OutboxEmail.id)
        ).all()
        if not todays:
            continue
        timelines = timelines_for(db_session, {email.student_id for email in todays}, day)
        for email in todays:
            problem = claim_contradicted(email, timelines[email.student_id])
            if email.status is EmailStatus.CANCELLED:
                problem = problem or f"queued, then cancelled the same day: {email.cancelled_reason}"
            if problem is not None:
                contradictions.append(f"{day} {email.template} to student {email.student_id}: {problem}")
            if email.status is EmailStatus.SENT and email.sent_at >= now:
                sent[email.template] += 1

    assert contradictions == []
    print("ten-year run, emails sent:", dict(sorted(sent.items())))
    assert {template: sent[template] > 0 for template in EVERY_NOTICE} == dict.fromkeys(EVERY_NOTICE, True)
    # Rule 1: the accounts of OPTs starting after the seed were created by the worker, on the start date.
    created = db_session.execute(
        select(User.student_id, User.created_at, OptAuthorization.start_date)
        .join(ProgramRecord, ProgramRecord.student_id == User.student_id)
        .join(OptAuthorization)
        .where(User.student_id.in_(future_start_accounts), OptAuthorization.kind == OptKind.POST_COMPLETION)
        .order_by(User.student_id)
    ).all()
    assert len(created) == len(future_start_accounts)
    assert all(created_at.date() == start for _, created_at, start in created)
