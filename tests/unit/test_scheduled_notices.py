"""Scheduled notices: reminders about reporting the school has not recorded, and the send-time re-check of every
notice against the student's timeline on the send day, which cancels what the timeline contradicts (issue 11; seed
000). What the daily sweep finds is tested in test_daily_sweep.py."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.models import Event, ReportingObligation, Student, User, utcnow
from portal.models.enums import EmailStatus, ObligationKind, OptKind, OptStatus, Role
from portal.services.actors import Actor
from portal.services.events import record_event
from portal.services.maintenance import schedule_window
from portal.services.obligations import add_obligation, mark_obligations_complete
from portal.services.opt_decisions import complete_record_early, correct_opt
from portal.services.upgrades import complete_upgrade
from portal.worker.delivery import deliver_due_emails
from portal.worker.loop import run_worker
from portal.worker.scheduled_notices import create_due_notices
from tests.support.notices import TODAY, approve_pending_opt, emails, official_actor, student_emails, travel


@pytest.fixture
def mailbox(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "MAILBOX_DIR", str(tmp_path))
    return tmp_path


def _address_obligation(db_session, student, due_on):
    return add_obligation(
        db_session,
        student,
        kind=ObligationKind.ADDRESS_CHANGE,
        due_on=due_on,
        window_opens_on=due_on - timedelta(days=21),
        description="Record the new address.",
    )


def test_reporting_reminder_is_queued_a_few_days_before_due_and_only_once(factory, db_session):
    student = factory.student(today=TODAY)
    _address_obligation(db_session, student, TODAY + timedelta(days=2))
    _address_obligation(db_session, factory.student(today=TODAY), TODAY + timedelta(days=15))  # not yet
    assert create_due_notices(db_session, TODAY) >= 1
    assert create_due_notices(db_session, TODAY) == 0
    [email] = emails(db_session, "reporting_not_recorded")
    assert email.student_id == student.id and email.due_on == TODAY + timedelta(days=2)
    assert "address change" in email.body_text


def test_no_reporting_reminder_for_an_obligation_the_history_shows_recorded(factory, db_session):
    student = factory.student(today=TODAY)
    obligation = _address_obligation(db_session, student, TODAY + timedelta(days=1))
    record_event(
        db_session,
        Actor.system("SEVIS"),
        "obligation.completed",
        student=student,
        subject=f"obligation:{obligation.id}",
    )
    create_due_notices(db_session, TODAY)
    assert emails(db_session, "reporting_not_recorded") == []


def test_seed_000_replay_no_contradicted_not_recorded_email_goes_out(app, factory, db_session, mailbox, time_machine):
    """Upgrade + maintenance, a backlog of queued notices, reporting completed meanwhile: none of those goes out."""

    time_machine.move_to("2024-03-19 23:00:00+00:00", tick=False)  # Mar 19, 2024, 7 p.m. EDT
    today = date(2024, 3, 19)
    school = factory.school()
    dso = factory.user(role=Role.DSO, school=school)
    students = [factory.student(school=school, today=today) for _ in range(4)]
    obligations = [_address_obligation(db_session, student, today + timedelta(days=2)) for student in students]
    assert create_due_notices(db_session, today) == 4  # the backlog
    db_session.commit()

    schedule_window(
        db_session, starts_at=utcnow(), ends_at=utcnow() + timedelta(hours=5), message="Upgrade", actor=Actor.system()
    )
    complete_upgrade(db_session, actor=Actor.system(), force_password_change=True, note="SEVP Portal upgrade")
    db_session.commit()
    student_ids, obligation_ids, dso_id, school_id = (
        [s.id for s in students],
        [o.id for o in obligations],
        dso.id,
        school.id,
    )
    assert run_worker(until_empty=True) == 0  # delivery pauses during the window
    # run_worker ends its session: load the records again.
    students = [db_session.get(Student, student_id) for student_id in student_ids]
    obligations = [db_session.get(ReportingObligation, obligation_id) for obligation_id in obligation_ids]
    dso = db_session.get(User, dso_id)
    # Meanwhile the DSO completes the reporting: two through the portal, one only recorded in the event history.
    mark_obligations_complete(db_session, obligations[:2], actor=Actor.for_user(dso))
    record_event(
        db_session,
        Actor.data_feed(school_id),
        "obligation.completed",
        student=students[2],
        subject=f"obligation:{obligations[2].id}",
    )
    db_session.commit()

    time_machine.move_to("2024-03-20 04:01:00+00:00", tick=False)  # after the window
    names = [s.full_name for s in students]
    assert run_worker(until_empty=True) == 1
    sent = [path.read_text() for path in mailbox.glob("*.eml")]
    assert len(sent) == 1 and names[3] in sent[0]
    statuses = {e.student_id: e.status for e in emails(db_session, "reporting_not_recorded")}
    assert statuses == {
        student_ids[0]: EmailStatus.CANCELLED,
        student_ids[1]: EmailStatus.CANCELLED,
        student_ids[2]: EmailStatus.CANCELLED,
        student_ids[3]: EmailStatus.SENT,
    }
    cancelled = db_session.scalars(select(Event.student_id).where(Event.event_type == "email.cancelled")).all()
    assert sorted(cancelled) == sorted(student_ids[:3])


def test_reminder_queued_then_recorded_by_the_school_is_cancelled_not_sent(factory, db_session, mailbox):
    student = factory.student(today=TODAY)
    obligation = _address_obligation(db_session, student, TODAY + timedelta(days=1))
    create_due_notices(db_session, TODAY)
    official = factory.user(school=student.school)
    obligation.completed_at, obligation.completed_by_user_id = utcnow(), official.id
    db_session.flush()
    assert deliver_due_emails(db_session, worker_id="t").cancelled == 1
    assert list(mailbox.glob("*.eml")) == []


# --- The send-time re-check: the timeline on the send day contradicts each kind of notice -----------------


def _correct_end(factory, db_session, student, days):
    opt = student.program_records[-1].opt_authorizations[0]
    correct_opt(
        db_session,
        opt,
        actor=official_actor(factory, student),
        end_date=opt.end_date + timedelta(days=days),
        actual_end_date=opt.actual_end_date + timedelta(days=days),
    )


def _ended_yesterday(factory, db_session):
    return factory.student(opt_start=date(2025, 3, 10), opt_end=date(2026, 3, 9)), TODAY


def _file_timely_stem_request(factory, db_session, student):
    stem = factory.stem_opt(student, status="pending")
    stem.created_at = datetime(2026, 2, 1, 15, tzinfo=UTC)  # recorded late by the feed, filed before the end
    db_session.flush()


def _stem_student(factory, db_session):
    return factory.student(opt_kind=OptKind.STEM, opt_start=date(2026, 1, 1), opt_end=date(2027, 12, 31)), date(
        2026, 6, 1
    )


def _complete_early(factory, db_session, student):
    complete_record_early(
        db_session,
        student.program_records[-1],
        actor=official_actor(factory, student),
        completed_on=date(2026, 6, 1),
        today=date(2026, 6, 1),
    )


def _record_stem_obligation(factory, db_session, student):
    obligation = add_obligation(
        db_session,
        student,
        kind=ObligationKind.STEM_VALIDATION,
        due_on=date(2026, 7, 31),
        window_opens_on=date(2026, 6, 1),
        description="STEM OPT 6-month validation report.",
    )
    record_event(
        db_session,
        Actor.system("SEVIS"),
        "obligation.completed",
        student=student,
        subject=f"obligation:{obligation.id}",
    )


def _approved_today(factory, db_session):
    student = factory.student(opt="pending", opt_start=TODAY - timedelta(days=10), today=TODAY)
    approve_pending_opt(factory, db_session, student)
    return student, TODAY


def _deny(factory, db_session, student):
    correct_opt(
        db_session,
        student.program_records[-1].opt_authorizations[0],
        actor=official_actor(factory, student),
        status=OptStatus.DENIED,
    )


RECHECK_CASES = {
    "unemployment count below the threshold": (
        "unemployment_warning",
        lambda f, s: (f.student(opt_start=TODAY - timedelta(days=64), today=TODAY), TODAY),
        lambda f, s, student: f.employer(student, start_date=TODAY - timedelta(days=40)),
        "below 60",
    ),
    "OPT end date corrected": (
        "opt_ended",
        _ended_yesterday,
        lambda f, s, st: _correct_end(f, s, st, 100),
        "did not end",
    ),
    "timely STEM extension pending": ("opt_ended", _ended_yesterday, _file_timely_stem_request, "extension is pending"),
    "access no longer ends then": (
        "access_ending",
        lambda f, s: (f.student(opt_start=date(2024, 10, 9), opt_end=date(2025, 10, 8)), TODAY),
        lambda f, s, st: _correct_end(f, s, st, 30),
        "no longer ends",
    ),
    "access not closing on that date": (
        "access_ended",
        lambda f, s: (f.student(opt_start=date(2024, 9, 10), opt_end=date(2025, 9, 9)), TODAY),
        lambda f, s, st: _correct_end(f, s, st, 1),
        "does not end",
    ),
    "STEM duty closed by an early end": ("stem_validation_due", _stem_student, _complete_early, "duty closed"),
    "STEM duty done": ("stem_validation_due", _stem_student, _record_stem_obligation, "recorded this STEM duty"),
    "OPT no longer approved": ("account_creation", _approved_today, _deny, "no longer has an approved OPT"),
}


@pytest.mark.parametrize("case", sorted(RECHECK_CASES))
def test_the_send_time_recheck_cancels_what_the_timeline_contradicts_on_the_send_day(
    factory, db_session, mailbox, time_machine, case
):
    template, make, contradict, reason = RECHECK_CASES[case]
    travel(time_machine, TODAY)
    student, day = make(factory, db_session)
    travel(time_machine, day)
    create_due_notices(db_session, day)
    [email] = student_emails(db_session, student, template)
    contradict(factory, db_session, student)
    assert deliver_due_emails(db_session, worker_id="t", limit=100).cancelled == 1
    assert email.status is EmailStatus.CANCELLED and reason in email.cancelled_reason
    assert not any(email.reference_code in path.read_text() for path in mailbox.glob("*.eml"))


def test_an_uncontradicted_notice_is_sent(factory, db_session, mailbox, time_machine):
    travel(time_machine, TODAY)
    factory.student(opt_start=date(2025, 3, 10), opt_end=date(2026, 3, 9))
    create_due_notices(db_session, TODAY)
    assert deliver_due_emails(db_session, worker_id="t").sent == 1


def test_a_minute_with_nothing_new_to_send_costs_the_same_queries_for_3_or_9_students(
    factory, db_session, count_queries
):
    def run_with(students: int) -> int:
        for _ in range(students):
            student = factory.student(opt_start=TODAY - timedelta(days=70), today=TODAY)
            _address_obligation(db_session, student, TODAY + timedelta(days=1))
        create_due_notices(db_session, TODAY)
        with count_queries() as counter:
            assert create_due_notices(db_session, TODAY) == 0
        return counter["count"]

    assert run_with(3) == run_with(6)
