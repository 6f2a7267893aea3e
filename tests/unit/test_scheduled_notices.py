"""Scheduled notices: created once per student, notice and due date; re-checked at send time and cancelled when untrue."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.models import Event, OutboxEmail, ReportingObligation, Student, User, utcnow
from portal.models.enums import EmailStatus, ObligationKind, OptKind, Role
from portal.notifications.delivery import deliver_due_emails
from portal.notifications.scheduled import create_due_notices
from portal.services.actors import Actor
from portal.services.events import record_event
from portal.services.obligations import add_obligation

TODAY = date(2026, 3, 10)


@pytest.fixture
def mailbox(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "MAILBOX_DIR", str(tmp_path))
    return tmp_path


def _emails(db_session, template):
    return db_session.scalars(select(OutboxEmail).where(OutboxEmail.template == template).order_by(OutboxEmail.id)).all()


def _address_obligation(db_session, student, due_on):
    return add_obligation(db_session, student, kind=ObligationKind.ADDRESS_CHANGE, due_on=due_on,
                          window_opens_on=due_on - timedelta(days=21), description="Record the new address.")  # fmt: skip


def test_reporting_reminder_is_queued_a_few_days_before_due_and_only_once(factory, db_session):
    student = factory.student(today=TODAY)
    _address_obligation(db_session, student, TODAY + timedelta(days=2))
    _address_obligation(db_session, factory.student(today=TODAY), TODAY + timedelta(days=15))  # not yet
    assert create_due_notices(db_session, TODAY) >= 1
    assert create_due_notices(db_session, TODAY) == 0
    [email] = _emails(db_session, "reporting_not_recorded")
    assert email.student_id == student.id and email.due_on == TODAY + timedelta(days=2)
    assert "address change" in email.body_text


def test_no_reporting_reminder_for_an_obligation_the_history_shows_recorded(factory, db_session):
    student = factory.student(today=TODAY)
    obligation = _address_obligation(db_session, student, TODAY + timedelta(days=1))
    record_event(db_session, Actor.system("SEVIS"), "obligation.completed", student=student,
                 subject=f"obligation:{obligation.id}")  # fmt: skip
    create_due_notices(db_session, TODAY)
    assert _emails(db_session, "reporting_not_recorded") == []


def test_seed_000_replay_no_contradicted_not_recorded_email_goes_out(app, factory, db_session, mailbox, time_machine):
    """Upgrade + maintenance, a backlog of queued notices, reporting completed meanwhile: none of those goes out."""
    from portal.notifications.worker import run_worker
    from portal.services.maintenance import schedule_window
    from portal.services.obligations import mark_obligations_complete
    from portal.services.upgrades import complete_upgrade

    time_machine.move_to("2024-03-19 23:00:00+00:00", tick=False)  # Mar 19, 2024, 7 p.m. EDT
    today = date(2024, 3, 19)
    school = factory.school()
    dso = factory.user(role=Role.DSO, school=school)
    students = [factory.student(school=school, today=today) for _ in range(4)]
    obligations = [_address_obligation(db_session, student, today + timedelta(days=2)) for student in students]
    assert create_due_notices(db_session, today) == 4  # the backlog
    db_session.commit()

    schedule_window(db_session, starts_at=utcnow(), ends_at=utcnow() + timedelta(hours=5),
                    message="Upgrade", actor=Actor.system())  # fmt: skip
    complete_upgrade(db_session, actor=Actor.system(), force_password_change=True, note="SEVP Portal upgrade")
    db_session.commit()
    student_ids, obligation_ids, dso_id, school_id = [s.id for s in students], [o.id for o in obligations], dso.id, school.id
    assert run_worker(until_empty=True) == 0  # delivery pauses during the window
    # run_worker ends its session: load the records again.
    students = [db_session.get(Student, student_id) for student_id in student_ids]
    obligations = [db_session.get(ReportingObligation, obligation_id) for obligation_id in obligation_ids]
    dso = db_session.get(User, dso_id)
    # Meanwhile the DSO completes the reporting: two through the portal, one only recorded in the event history.
    mark_obligations_complete(db_session, obligations[:2], actor=Actor.for_user(dso))
    record_event(db_session, Actor.data_feed(school_id), "obligation.completed", student=students[2],
                 subject=f"obligation:{obligations[2].id}")  # fmt: skip
    db_session.commit()

    time_machine.move_to("2024-03-20 04:01:00+00:00", tick=False)  # after the window
    names = [s.full_name for s in students]
    assert run_worker(until_empty=True) == 1
    sent = [path.read_text() for path in mailbox.glob("*.eml")]
    assert len(sent) == 1 and names[3] in sent[0]
    statuses = {e.student_id: e.status for e in _emails(db_session, "reporting_not_recorded")}
    assert statuses == {student_ids[0]: EmailStatus.CANCELLED, student_ids[1]: EmailStatus.CANCELLED,
                        student_ids[2]: EmailStatus.CANCELLED, student_ids[3]: EmailStatus.SENT}  # fmt: skip
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


def test_access_notices_opt_ended_access_ending_and_access_ended_each_once(factory, db_session):
    ended_yesterday = factory.student(opt_start=TODAY - timedelta(days=365), opt_end=TODAY - timedelta(days=1))
    ends_in_30 = factory.student(opt_start=date(2025, 1, 1), opt_end=date(2025, 10, 9))  # access until Apr 9, 2026
    ended_today = factory.student(opt_start=date(2025, 1, 1), opt_end=date(2025, 9, 10))  # access until Mar 10, 2026
    create_due_notices(db_session, TODAY)
    create_due_notices(db_session, TODAY)
    assert [e.student_id for e in _emails(db_session, "opt_ended")] == [ended_yesterday.id]
    assert [e.student_id for e in _emails(db_session, "access_ending")] == [ends_in_30.id]
    assert [e.student_id for e in _emails(db_session, "access_ended")] == [ended_today.id]
    [opt_ended] = _emails(db_session, "opt_ended")
    assert "September 9, 2026" in opt_ended.body_text  # six months after March 9, 2026


def test_opt_ended_notice_is_cancelled_when_the_opt_was_extended_before_sending(factory, db_session, mailbox):
    student = factory.student(opt_start=TODAY - timedelta(days=365), opt_end=TODAY - timedelta(days=1))
    create_due_notices(db_session, TODAY)
    opt = student.program_records[-1].opt_authorizations[0]
    opt.end_date = TODAY + timedelta(days=100)
    db_session.flush()
    assert deliver_due_emails(db_session, worker_id="t").cancelled == 1


@pytest.mark.parametrize(("days_unemployed", "subject"), [
    (59, None),
    (60, "You have used 60 of 90 unemployment days"),
    (85, "You have used 80 of 90 unemployment days"),
    (90, "You have reached the limit of unemployment days"),
])  # fmt: skip
def test_unemployment_warning_at_60_80_and_the_limit(factory, db_session, days_unemployed, subject):
    factory.student(opt_start=TODAY - timedelta(days=days_unemployed - 1), today=TODAY)
    create_due_notices(db_session, TODAY)
    create_due_notices(db_session, TODAY)
    assert [e.subject for e in _emails(db_session, "unemployment_warning")] == ([subject] if subject else [])


def test_no_unemployment_warning_for_a_student_with_an_employer(factory, db_session):
    student = factory.student(opt_start=TODAY - timedelta(days=70), today=TODAY)
    factory.employer(student, start_date=TODAY - timedelta(days=30))
    create_due_notices(db_session, TODAY)
    assert _emails(db_session, "unemployment_warning") == []  # 40 days


def test_unemployment_warning_is_cancelled_when_an_employer_is_reported_before_sending(factory, db_session, mailbox,
                                                                                       time_machine):  # fmt: skip
    time_machine.move_to("2026-03-10 15:00:00+00:00", tick=False)
    student = factory.student(opt_start=TODAY - timedelta(days=64), today=TODAY)
    create_due_notices(db_session, TODAY)
    factory.employer(student, start_date=TODAY - timedelta(days=40))
    assert deliver_due_emails(db_session, worker_id="t").cancelled == 1


def test_stem_validation_reminder_30_days_before_due(factory, db_session):
    student = factory.student(opt_kind=OptKind.STEM, today=TODAY)
    add_obligation(db_session, student, kind=ObligationKind.STEM_VALIDATION, due_on=TODAY + timedelta(days=30),
                   description="STEM OPT 6-month validation report.")  # fmt: skip
    add_obligation(db_session, student, kind=ObligationKind.STEM_VALIDATION, due_on=TODAY + timedelta(days=200),
                   description="STEM OPT 12-month validation report.")  # fmt: skip
    create_due_notices(db_session, TODAY)
    [email] = _emails(db_session, "stem_validation_due")
    assert email.due_on == TODAY + timedelta(days=30) and "April 9, 2026" in email.body_text


def test_a_minute_with_nothing_new_to_send_costs_the_same_queries_for_3_or_9_students(factory, db_session, count_queries):
    def run_with(students: int) -> int:
        for _ in range(students):
            student = factory.student(opt_start=TODAY - timedelta(days=70), today=TODAY)
            _address_obligation(db_session, student, TODAY + timedelta(days=1))
        create_due_notices(db_session, TODAY)
        with count_queries() as counter:
            assert create_due_notices(db_session, TODAY) == 0
        return counter["count"]

    assert run_with(3) == run_with(6)
