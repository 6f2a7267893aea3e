"""The daily sweep: notices found from the timeline's marks once per student, notice and date, caught up at most a
week late, and the portal accounts whose day has come (issue 11 findings 1, 2, 3, 5; rule 1)."""

import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select, update

from portal.models import Student, TimelineMark, TimelineMarksVersion, User
from portal.models.enums import EducationLevel, EmailStatus, OptKind, ProgramStatus
from portal.services.actors import Actor
from portal.services.opt_decisions import approve_opt, transfer_or_change_level
from portal.services.students import request_opt
from portal.services.timeline import MARKS_VERSION, MarkKind
from portal.services.timeline.database import stored_marks_version, student_timeline
from portal.worker.delivery import deliver_due_emails
from portal.worker.loop import run_worker
from portal.worker.scheduled_notices import create_due_notices
from tests.support.notices import TODAY, approve_pending_opt, emails, official_actor, student_emails, travel


@pytest.fixture
def mailbox(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "MAILBOX_DIR", str(tmp_path))
    return tmp_path


ACCESS_TEMPLATES = ("opt_ended", "access_ending", "access_ended")


@pytest.mark.parametrize(
    ("opt_end", "template", "due_on"),
    [
        (date(2026, 3, 9), "opt_ended", date(2026, 3, 9)),  # ended yesterday
        (date(2025, 10, 8), "access_ending", date(2026, 4, 8)),  # read-only until April 8: closes in 30 days
        (date(2025, 9, 9), "access_ended", date(2026, 3, 9)),  # read-only until March 9: closes today
        (date(2025, 9, 10), None, None),  # read-only until today: nothing yet (finding 5: never before it closes)
    ],
)
def test_access_notices_go_out_once_on_the_timeline_day(factory, db_session, opt_end, template, due_on):
    student = factory.student(opt_start=opt_end - timedelta(days=364), opt_end=opt_end)
    create_due_notices(db_session, TODAY)
    create_due_notices(db_session, TODAY)
    emails = student_emails(db_session, student, *ACCESS_TEMPLATES)
    assert [(email.template, email.due_on) for email in emails] == ([(template, due_on)] if template else [])


def test_opt_ended_names_the_end_and_the_last_day_of_read_only_access(factory, db_session):
    factory.student(opt_start=date(2025, 3, 10), opt_end=date(2026, 3, 9))
    create_due_notices(db_session, TODAY)
    [email] = emails(db_session, "opt_ended")
    assert "March 9, 2026" in email.body_text and "September 9, 2026" in email.body_text


def test_finding_5_access_ended_goes_out_the_day_access_closes_and_says_so(factory, db_session, time_machine):
    student = factory.student(opt_start=date(2024, 9, 11), opt_end=date(2025, 9, 10))  # read-only until March 10
    create_due_notices(db_session, TODAY)
    assert emails(db_session, "access_ended") == []
    closing_day = TODAY + timedelta(days=1)
    assert student_timeline(db_session, student, closing_day).access.closed
    travel(time_machine, closing_day)
    create_due_notices(db_session, closing_day)
    [email] = emails(db_session, "access_ended")
    assert "closed on March 11, 2026" in email.body_text and "until March 10, 2026" in email.body_text
    assert deliver_due_emails(db_session, worker_id="t").sent == 1


def test_finding_3_no_opt_ended_while_a_timely_stem_extension_is_pending(factory, db_session, time_machine):
    student = factory.student(opt_start=date(2025, 3, 10), opt_end=date(2026, 3, 9))
    travel(time_machine, date(2026, 2, 1))
    factory.stem_opt(student, status="pending")  # filed before the end: timely
    assert student_timeline(db_session, student, TODAY).extension is not None
    for day in (TODAY, TODAY + timedelta(days=5), date(2026, 9, 10)):
        create_due_notices(db_session, day)
    assert student_emails(db_session, student, *ACCESS_TEMPLATES) == []


@pytest.mark.parametrize(("ended", "queued"), [(TODAY - timedelta(days=8), True), (TODAY - timedelta(days=9), False)])
def test_a_notice_is_caught_up_at_most_seven_days_late(factory, db_session, ended, queued):
    factory.student(opt_start=ended - timedelta(days=364), opt_end=ended)
    create_due_notices(db_session, TODAY)
    assert len(emails(db_session, "opt_ended")) == (1 if queued else 0)


def test_finding_1_notices_count_only_the_current_program_record(factory, db_session, time_machine):
    """OPT 2025-01-01..2025-12-31, level changed 2025-06-01, new OPT from 2026-05-01: 32 of 90 on 2026-06-01."""
    travel(time_machine, date(2025, 6, 1))
    student = factory.student(opt_start=date(2025, 1, 1), opt_end=date(2025, 12, 31), today=date(2025, 6, 1))
    new_program = transfer_or_change_level(
        db_session,
        student,
        actor=official_actor(factory, student),
        education_level=EducationLevel.DOCTORATE,
        start_date=date(2025, 6, 1),
        end_date=date(2026, 4, 1),
        today=date(2025, 6, 1),
    )
    travel(time_machine, date(2026, 3, 1))
    opt = request_opt(
        db_session,
        Actor.system(),
        new_program,
        kind=OptKind.POST_COMPLETION,
        start_date=date(2026, 5, 1),
        end_date=date(2027, 4, 30),
    )
    approve_opt(
        db_session,
        opt,
        actor=official_actor(factory, student),
        actual_start_date=opt.start_date,
        actual_end_date=opt.end_date,
    )
    for day in (date(2026, 5, 1), date(2026, 6, 1)):
        create_due_notices(db_session, day)
    assert student_timeline(db_session, student, date(2026, 6, 1)).unemployment.used == 32
    assert emails(db_session, "unemployment_warning") == []
    create_due_notices(db_session, date(2026, 6, 29))
    assert student_timeline(db_session, student, date(2026, 6, 29)).unemployment.used == 60
    assert [email.subject for email in emails(db_session, "unemployment_warning")] == [
        "Your unemployment days have reached 60 of 90"
    ]


def test_finding_2_a_late_approval_creates_the_account_at_once_and_announces_the_threshold_it_passed_once(
    factory, db_session, time_machine, mailbox
):
    """The count reached 60 on February 27, eleven days before the approval: announced on the approval day, once."""
    travel(time_machine, TODAY)
    student = factory.student(opt="pending", opt_start=TODAY - timedelta(days=70), today=TODAY)
    approve_pending_opt(factory, db_session, student)
    assert db_session.scalar(select(User).where(User.student_id == student.id)) is not None
    for day in (TODAY, TODAY + timedelta(days=1), TODAY + timedelta(days=3)):
        create_due_notices(db_session, day)
    assert student_timeline(db_session, student, TODAY).unemployment.used == 71  # the dashboard's count
    [email] = emails(db_session, "unemployment_warning")
    assert email.subject == "Your unemployment days have reached 60 of 90"
    assert "on February 27, 2026 your unemployment days reached 60" in email.body_text
    assert "Your dashboard shows today's count" in email.body_text  # true beside a dashboard saying 71
    assert deliver_due_emails(db_session, worker_id="t").sent == 2  # re-checked on the send day: still true
    assert sorted(email.template for email in student_emails(db_session, student)) == [
        "account_creation",
        "unemployment_warning",
    ]


@pytest.mark.parametrize(("sweep_in", "sent"), [(7, True), (8, False)])
def test_a_threshold_passed_before_a_late_approval_is_caught_up_at_most_seven_days_after_the_approval(
    factory, db_session, time_machine, sweep_in, sent
):
    """65 days used (60 reached sixteen days before the approval, a job since): announced from the approval day."""
    travel(time_machine, TODAY)
    student = factory.student(opt="pending", opt_start=TODAY - timedelta(days=75), today=TODAY)
    factory.employer(student, start_date=TODAY - timedelta(days=10))
    approve_pending_opt(factory, db_session, student)
    assert student_timeline(db_session, student, TODAY).unemployment.used == 65
    day = TODAY + timedelta(days=sweep_in)
    travel(time_machine, day)
    create_due_notices(db_session, day)
    assert [e.subject for e in emails(db_session, "unemployment_warning")] == (
        ["Your unemployment days have reached 60 of 90"] if sent else []
    )


@pytest.mark.parametrize(("starts_in", "at_approval"), [(-5, True), (0, True), (20, False)])
def test_rule_1_the_account_is_created_on_the_opt_start_date_or_at_approval_when_it_has_passed(
    factory, db_session, time_machine, mailbox, starts_in, at_approval
):
    travel(time_machine, TODAY)
    start = TODAY + timedelta(days=starts_in)
    student = factory.student(opt="pending", opt_start=start, today=TODAY)
    approve_pending_opt(factory, db_session, student)

    def has_account():
        return db_session.scalar(select(User.id).where(User.student_id == student.id)) is not None

    assert has_account() is at_approval
    if not at_approval:
        create_due_notices(db_session, start - timedelta(days=1))
        assert not has_account() and student_emails(db_session, student, "account_creation") == []
        travel(time_machine, start)
        create_due_notices(db_session, start)
        assert has_account()
    assert deliver_due_emails(db_session, worker_id="t").sent == 1
    [email] = student_emails(db_session, student, "account_creation")
    assert email.status is EmailStatus.SENT


@pytest.mark.parametrize(
    ("days_unemployed", "subject"),
    [
        (59, None),
        (60, "Your unemployment days have reached 60 of 90"),
        (85, "Your unemployment days have reached 80 of 90"),
        (90, "You have reached the limit of unemployment days"),
    ],
)
def test_unemployment_warning_at_60_80_and_the_limit(factory, db_session, days_unemployed, subject):
    factory.student(opt_start=TODAY - timedelta(days=days_unemployed - 1), today=TODAY)
    create_due_notices(db_session, TODAY)
    create_due_notices(db_session, TODAY)
    assert [e.subject for e in emails(db_session, "unemployment_warning")] == ([subject] if subject else [])


def test_no_unemployment_warning_for_a_student_with_an_employer(factory, db_session):
    student = factory.student(opt_start=TODAY - timedelta(days=70), today=TODAY)
    factory.employer(student, start_date=TODAY - timedelta(days=30))
    create_due_notices(db_session, TODAY)
    assert emails(db_session, "unemployment_warning") == []  # 40 days


def test_stem_reminders_30_days_before_each_mark_name_the_duty_and_its_due_date(factory, db_session):
    factory.student(opt_kind=OptKind.STEM, opt_start=date(2026, 1, 1), opt_end=date(2027, 12, 31), today=TODAY)
    create_due_notices(db_session, date(2026, 6, 1))
    [email] = emails(db_session, "stem_validation_due")
    assert email.due_on == date(2026, 7, 11)
    assert email.subject == "Your STEM OPT 6-month confirmation is due by July 11, 2026"
    # Finding 11: the email points at a form that is open on the day it is sent (the duty opens 30 days before the mark).
    assert "/stem/confirm and confirm your details" in email.body_text
    [duty] = [
        d
        for d in student_timeline(db_session, email.student_id, date(2026, 6, 1)).duties
        if d.kind == "stem_confirmation" and d.months == 6
    ]
    assert duty.state == "open"
    create_due_notices(db_session, date(2026, 12, 2))
    assert sorted(e.subject for e in emails(db_session, "stem_validation_due")[1:]) == [
        "Your Form I-983 12-month evaluation is due by January 11, 2027",
        "Your STEM OPT 12-month confirmation is due by January 11, 2027",
    ]


def test_the_daily_sweep_costs_the_same_statements_for_3_or_6_students_with_notices(factory, db_session, count_queries):
    def run_with(students: int, day: date) -> int:
        for _ in range(students):
            factory.student(opt_start=day - timedelta(days=365), opt_end=day - timedelta(days=1))
        with count_queries() as counter:
            assert create_due_notices(db_session, day) == students
        return counter["count"]

    assert run_with(3, TODAY) == run_with(6, TODAY + timedelta(days=40))


def test_a_terminated_record_gets_the_access_closed_notice_on_the_day_it_closes_and_no_other(
    factory, db_session, time_machine, mailbox
):
    """Rule 5: a change of status closes access at once, so no notice can go before; the closing one goes that day."""
    student = factory.student(opt_start=date(2025, 6, 1), opt_end=date(2026, 5, 31), today=TODAY)
    program = student.program_records[-1]
    program.status, program.completed_on = ProgramStatus.TERMINATED, TODAY
    db_session.flush()
    create_due_notices(db_session, TODAY - timedelta(days=1))
    assert student_emails(db_session, student, *ACCESS_TEMPLATES) == []
    travel(time_machine, TODAY)
    for day in (TODAY, TODAY, TODAY + timedelta(days=2)):
        create_due_notices(db_session, day)
    [email] = student_emails(db_session, student, *ACCESS_TEMPLATES)
    assert (email.template, email.due_on) == ("access_ended", TODAY)
    assert "closed on March 10, 2026: your program record was terminated" in email.body_text
    assert "six months" not in email.body_text
    assert deliver_due_emails(db_session, worker_id="t").sent == 1  # re-checked on the send day: still true


def test_a_stem_request_pending_past_its_180_days_gets_the_access_notices_from_the_extension_s_last_day(
    factory, db_session, time_machine, mailbox
):
    """OPT ends March 9, 2026; the timely STEM request extends to September 5, 2026, then read-only to March 5, 2027."""
    student = factory.student(opt_start=date(2025, 3, 10), opt_end=date(2026, 3, 9))
    travel(time_machine, date(2026, 2, 1))
    factory.stem_opt(student, status="pending")
    assert student_timeline(db_session, student, TODAY).extension.until == date(2026, 9, 5)
    ending_day, closing_day = date(2027, 2, 4), date(2027, 3, 6)
    for day in (date(2026, 9, 6), date(2026, 9, 21), ending_day, closing_day):
        travel(time_machine, day)
        create_due_notices(db_session, day)
        deliver_due_emails(db_session, worker_id="t")
    sent = student_emails(db_session, student, *ACCESS_TEMPLATES)
    assert [(email.template, email.due_on, email.status) for email in sent] == [
        ("access_ending", date(2027, 3, 5), EmailStatus.SENT),
        ("access_ended", date(2027, 3, 5), EmailStatus.SENT),
    ]  # and no "OPT ended" while the request is pending
    extension_words = "180-day extension of your work authorization ended on September 5, 2026"
    assert extension_words in sent[0].body_text and "your STEM OPT request is still pending" in sent[0].body_text
    assert "closed on March 6, 2027" in sent[1].body_text
    assert "extension of your pending STEM OPT request ended on September 5, 2026" in sent[1].body_text


# --- Marks stored by older rules -------------------------------------------------------------------------


def _terminated_today_as_rules_version_1_left_it(factory, db_session) -> Student:
    """A record terminated today whose stored marks older rules computed: no access-closed mark (0012's rules)."""
    student = factory.student(opt_start=date(2025, 6, 1), opt_end=date(2026, 5, 31), today=TODAY)
    program = student.program_records[-1]
    program.status, program.completed_on = ProgramStatus.TERMINATED, TODAY
    db_session.flush()
    _lose_access_closed_mark(db_session, student.id)
    db_session.execute(update(TimelineMarksVersion).values(version=1))
    return student


def _lose_access_closed_mark(db_session, student_id: int) -> None:
    db_session.execute(
        delete(TimelineMark).where(TimelineMark.student_id == student_id, TimelineMark.kind == MarkKind.ACCESS_CLOSED)
    )


def _access_closed_marks(db_session, student_id: int) -> list[date]:
    return list(
        db_session.scalars(
            select(TimelineMark.starts_on)
            .where(TimelineMark.student_id == student_id, TimelineMark.kind == MarkKind.ACCESS_CLOSED)
            .order_by(TimelineMark.starts_on)
        )
    )


def _refresh_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if "recomputed" in record.getMessage()]


def test_one_worker_pass_recomputes_marks_older_rules_stored_and_sends_the_notice_they_missed(
    app, factory, db_session, time_machine, mailbox, caplog
):
    travel(time_machine, TODAY)
    student_id = _terminated_today_as_rules_version_1_left_it(factory, db_session).id
    db_session.commit()
    caplog.set_level(logging.INFO, logger="portal.worker")
    assert run_worker(until_empty=True) == 1
    [email] = emails(db_session, "access_ended")
    assert (email.student_id, email.due_on, email.status) == (student_id, TODAY, EmailStatus.SENT)
    assert _access_closed_marks(db_session, student_id) == [TODAY]
    assert stored_marks_version(db_session) == MARKS_VERSION
    marks = len(db_session.scalars(select(TimelineMark.id).where(TimelineMark.student_id == student_id)).all())
    assert _refresh_lines(caplog) == [
        f"Timeline marks were computed by rules version 1; recomputed the marks of 1 students ({marks} marks) with "
        f"version {MARKS_VERSION} before the daily sweep."
    ]


def test_a_second_pass_finds_the_marks_current_and_recomputes_nothing(factory, db_session, time_machine, caplog):
    travel(time_machine, TODAY)
    student = _terminated_today_as_rules_version_1_left_it(factory, db_session)
    caplog.set_level(logging.INFO, logger="portal.worker")
    create_due_notices(db_session, TODAY)
    assert len(_refresh_lines(caplog)) == 1
    _lose_access_closed_mark(db_session, student.id)  # only a full recomputation would bring it back
    create_due_notices(db_session, TODAY)
    assert _access_closed_marks(db_session, student.id) == []
    assert len(_refresh_lines(caplog)) == 1
