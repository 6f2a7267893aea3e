"""Scheduled notices: found from the timeline's marks once per student, notice and date; re-checked against the
student's timeline on the send day and cancelled when it contradicts them (issue 11 findings 1, 2, 3, 5; rule 1)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.models import Event, OutboxEmail, ReportingObligation, Student, User, utcnow
from portal.models.enums import EducationLevel, EmailStatus, ObligationKind, OptKind, OptStatus, Role
from portal.services.actors import Actor
from portal.services.events import record_event
from portal.services.obligations import add_obligation
from portal.services.opt_decisions import approve_opt, complete_record_early, correct_opt, transfer_or_change_level
from portal.services.students import request_opt
from portal.services.timelines import student_timeline
from portal.worker.delivery import deliver_due_emails
from portal.worker.scheduled_notices import create_due_notices

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
    from portal.services.maintenance import schedule_window
    from portal.services.obligations import mark_obligations_complete
    from portal.services.upgrades import complete_upgrade
    from portal.worker.loop import run_worker

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


def _travel(time_machine, day):
    """Travel to 10 a.m. US Eastern on ``day`` (the send day the re-checks read)."""
    time_machine.move_to(datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC), tick=False)


def _student_emails(db_session, student, *templates):
    query = select(OutboxEmail).where(OutboxEmail.student_id == student.id).order_by(OutboxEmail.id)
    if templates:
        query = query.where(OutboxEmail.template.in_(templates))
    return db_session.scalars(query).all()


def _official(factory, student):
    return Actor.for_user(factory.user(role=Role.DSO, school=student.school))


def _approve(factory, db_session, student):
    """Approve the student's pending OPT with EAD dates equal to the requested ones."""
    opt = student.program_records[-1].opt_authorizations[0]
    approve_opt(db_session, opt, actor=_official(factory, student), actual_start_date=opt.start_date,
                actual_end_date=opt.end_date)  # fmt: skip


ACCESS_TEMPLATES = ("opt_ended", "access_ending", "access_ended")


@pytest.mark.parametrize(("opt_end", "template", "due_on"), [
    (date(2026, 3, 9), "opt_ended", date(2026, 3, 9)),  # ended yesterday
    (date(2025, 10, 8), "access_ending", date(2026, 4, 8)),  # read-only until April 8: closes in 30 days
    (date(2025, 9, 9), "access_ended", date(2026, 3, 9)),  # read-only until March 9: closes today
    (date(2025, 9, 10), None, None),  # read-only until today: nothing yet (finding 5: never before it closes)
])  # fmt: skip
def test_access_notices_go_out_once_on_the_timeline_day(factory, db_session, opt_end, template, due_on):
    student = factory.student(opt_start=opt_end - timedelta(days=364), opt_end=opt_end)
    create_due_notices(db_session, TODAY)
    create_due_notices(db_session, TODAY)
    emails = _student_emails(db_session, student, *ACCESS_TEMPLATES)
    assert [(email.template, email.due_on) for email in emails] == ([(template, due_on)] if template else [])


def test_opt_ended_names_the_end_and_the_last_day_of_read_only_access(factory, db_session):
    factory.student(opt_start=date(2025, 3, 10), opt_end=date(2026, 3, 9))
    create_due_notices(db_session, TODAY)
    [email] = _emails(db_session, "opt_ended")
    assert "March 9, 2026" in email.body_text and "September 9, 2026" in email.body_text


def test_finding_5_access_ended_goes_out_the_day_access_closes_and_says_so(factory, db_session, time_machine):
    student = factory.student(opt_start=date(2024, 9, 11), opt_end=date(2025, 9, 10))  # read-only until March 10
    create_due_notices(db_session, TODAY)
    assert _emails(db_session, "access_ended") == []
    closing_day = TODAY + timedelta(days=1)
    assert student_timeline(db_session, student, closing_day).access.closed
    _travel(time_machine, closing_day)
    create_due_notices(db_session, closing_day)
    [email] = _emails(db_session, "access_ended")
    assert "closed on March 11, 2026" in email.body_text and "until March 10, 2026" in email.body_text
    assert deliver_due_emails(db_session, worker_id="t").sent == 1


def test_finding_3_no_opt_ended_while_a_timely_stem_extension_is_pending(factory, db_session, time_machine):
    student = factory.student(opt_start=date(2025, 3, 10), opt_end=date(2026, 3, 9))
    _travel(time_machine, date(2026, 2, 1))
    factory.stem_opt(student, status="pending")  # filed before the end: timely
    assert student_timeline(db_session, student, TODAY).extension is not None
    for day in (TODAY, TODAY + timedelta(days=5), date(2026, 9, 10)):
        create_due_notices(db_session, day)
    assert _student_emails(db_session, student, *ACCESS_TEMPLATES) == []


@pytest.mark.parametrize(("ended", "queued"), [(TODAY - timedelta(days=8), True), (TODAY - timedelta(days=9), False)])
def test_a_notice_is_caught_up_at_most_seven_days_late(factory, db_session, ended, queued):
    factory.student(opt_start=ended - timedelta(days=364), opt_end=ended)
    create_due_notices(db_session, TODAY)
    assert len(_emails(db_session, "opt_ended")) == (1 if queued else 0)


def test_finding_1_notices_count_only_the_current_program_record(factory, db_session, time_machine):
    """OPT 2025-01-01..2025-12-31, level changed 2025-06-01, new OPT from 2026-05-01: 32 of 90 on 2026-06-01."""
    _travel(time_machine, date(2025, 6, 1))
    student = factory.student(opt_start=date(2025, 1, 1), opt_end=date(2025, 12, 31), today=date(2025, 6, 1))
    new_program = transfer_or_change_level(db_session, student, actor=_official(factory, student),
                                           education_level=EducationLevel.DOCTORATE, start_date=date(2025, 6, 1),
                                           end_date=date(2026, 4, 1), today=date(2025, 6, 1))  # fmt: skip
    _travel(time_machine, date(2026, 3, 1))
    opt = request_opt(db_session, Actor.system(), new_program, kind=OptKind.POST_COMPLETION,
                      start_date=date(2026, 5, 1), end_date=date(2027, 4, 30))  # fmt: skip
    approve_opt(db_session, opt, actor=_official(factory, student), actual_start_date=opt.start_date,
                actual_end_date=opt.end_date)
    for day in (date(2026, 5, 1), date(2026, 6, 1)):
        create_due_notices(db_session, day)
    assert student_timeline(db_session, student, date(2026, 6, 1)).unemployment.used == 32
    assert _emails(db_session, "unemployment_warning") == []
    create_due_notices(db_session, date(2026, 6, 29))
    assert student_timeline(db_session, student, date(2026, 6, 29)).unemployment.used == 60
    assert [email.subject for email in _emails(db_session, "unemployment_warning")] == [
        "Your unemployment days have reached 60 of 90"]


def test_finding_2_a_late_approval_creates_the_account_at_once_and_no_warning_understates_the_count(
        factory, db_session, time_machine, mailbox):  # fmt: skip
    _travel(time_machine, TODAY)
    student = factory.student(opt="pending", opt_start=TODAY - timedelta(days=70), today=TODAY)
    _approve(factory, db_session, student)
    assert db_session.scalar(select(User).where(User.student_id == student.id)) is not None
    create_due_notices(db_session, TODAY)
    assert student_timeline(db_session, student, TODAY).unemployment.used == 71  # the dashboard's count
    assert _emails(db_session, "unemployment_warning") == []  # never "60 of 90" beside a dashboard saying 71
    assert deliver_due_emails(db_session, worker_id="t").sent == 1
    assert [email.template for email in _student_emails(db_session, student)] == ["account_creation"]


@pytest.mark.parametrize(("starts_in", "at_approval"), [(-5, True), (0, True), (20, False)])
def test_rule_1_the_account_is_created_on_the_opt_start_date_or_at_approval_when_it_has_passed(
        factory, db_session, time_machine, mailbox, starts_in, at_approval):  # fmt: skip
    _travel(time_machine, TODAY)
    start = TODAY + timedelta(days=starts_in)
    student = factory.student(opt="pending", opt_start=start, today=TODAY)
    _approve(factory, db_session, student)

    def has_account():
        return db_session.scalar(select(User.id).where(User.student_id == student.id)) is not None

    assert has_account() is at_approval
    if not at_approval:
        create_due_notices(db_session, start - timedelta(days=1))
        assert not has_account() and _student_emails(db_session, student, "account_creation") == []
        _travel(time_machine, start)
        create_due_notices(db_session, start)
        assert has_account()
    assert deliver_due_emails(db_session, worker_id="t").sent == 1
    [email] = _student_emails(db_session, student, "account_creation")
    assert email.status is EmailStatus.SENT


@pytest.mark.parametrize(("days_unemployed", "subject"), [
    (59, None),
    (60, "Your unemployment days have reached 60 of 90"),
    (85, "Your unemployment days have reached 80 of 90"),
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


def test_stem_reminders_30_days_before_each_mark_name_the_duty_and_its_due_date(factory, db_session):
    factory.student(opt_kind=OptKind.STEM, opt_start=date(2026, 1, 1), opt_end=date(2027, 12, 31), today=TODAY)
    create_due_notices(db_session, date(2026, 6, 1))
    [email] = _emails(db_session, "stem_validation_due")
    assert email.due_on == date(2026, 7, 11)
    assert email.subject == "Your STEM OPT 6-month confirmation is due by July 11, 2026"
    # Finding 11: the email points at a form that is open on the day it is sent (the duty opens 30 days before the mark).
    assert "/stem/confirm and confirm your details" in email.body_text
    [duty] = [d for d in student_timeline(db_session, email.student_id, date(2026, 6, 1)).duties
              if d.kind == "stem_confirmation" and d.months == 6]
    assert duty.state == "open"
    create_due_notices(db_session, date(2026, 12, 2))
    assert sorted(e.subject for e in _emails(db_session, "stem_validation_due")[1:]) == [
        "Your Form I-983 12-month evaluation is due by January 11, 2027",
        "Your STEM OPT 12-month confirmation is due by January 11, 2027",
    ]


# --- The send-time re-check: the timeline on the send day contradicts each kind of notice -----------------


def _correct_end(factory, db_session, student, days):
    opt = student.program_records[-1].opt_authorizations[0]
    correct_opt(db_session, opt, actor=_official(factory, student), end_date=opt.end_date + timedelta(days=days),
                actual_end_date=opt.actual_end_date + timedelta(days=days))


def _ended_yesterday(factory, db_session):
    return factory.student(opt_start=date(2025, 3, 10), opt_end=date(2026, 3, 9)), TODAY


def _file_timely_stem_request(factory, db_session, student):
    stem = factory.stem_opt(student, status="pending")
    stem.created_at = datetime(2026, 2, 1, 15, tzinfo=UTC)  # recorded late by the feed, filed before the end
    db_session.flush()


def _stem_student(factory, db_session):
    return factory.student(opt_kind=OptKind.STEM, opt_start=date(2026, 1, 1), opt_end=date(2027, 12, 31)), date(2026, 6, 1)


def _complete_early(factory, db_session, student):
    complete_record_early(db_session, student.program_records[-1], actor=_official(factory, student),
                          completed_on=date(2026, 6, 1), today=date(2026, 6, 1))  # fmt: skip


def _record_stem_obligation(factory, db_session, student):
    obligation = add_obligation(db_session, student, kind=ObligationKind.STEM_VALIDATION, due_on=date(2026, 7, 31),
                                window_opens_on=date(2026, 6, 1), description="STEM OPT 6-month validation report.")  # fmt: skip
    record_event(db_session, Actor.system("SEVIS"), "obligation.completed", student=student,
                 subject=f"obligation:{obligation.id}")  # fmt: skip


def _approved_today(factory, db_session):
    student = factory.student(opt="pending", opt_start=TODAY - timedelta(days=10), today=TODAY)
    _approve(factory, db_session, student)
    return student, TODAY


def _deny(factory, db_session, student):
    correct_opt(db_session, student.program_records[-1].opt_authorizations[0], actor=_official(factory, student),
                status=OptStatus.DENIED)  # fmt: skip


RECHECK_CASES = {
    "unemployment count below the threshold": (
        "unemployment_warning", lambda f, s: (f.student(opt_start=TODAY - timedelta(days=64), today=TODAY), TODAY),
        lambda f, s, student: f.employer(student, start_date=TODAY - timedelta(days=40)), "below 60"),
    "OPT end date corrected": ("opt_ended", _ended_yesterday, lambda f, s, st: _correct_end(f, s, st, 100),
                               "did not end"),
    "timely STEM extension pending": ("opt_ended", _ended_yesterday, _file_timely_stem_request, "extension is pending"),
    "access no longer ends then": (
        "access_ending", lambda f, s: (f.student(opt_start=date(2024, 10, 9), opt_end=date(2025, 10, 8)), TODAY),
        lambda f, s, st: _correct_end(f, s, st, 30), "no longer ends"),
    "access not closing on that date": (
        "access_ended", lambda f, s: (f.student(opt_start=date(2024, 9, 10), opt_end=date(2025, 9, 9)), TODAY),
        lambda f, s, st: _correct_end(f, s, st, 1), "does not end"),
    "STEM duty closed by an early end": ("stem_validation_due", _stem_student, _complete_early, "duty closed"),
    "STEM duty done": ("stem_validation_due", _stem_student, _record_stem_obligation, "recorded this STEM duty"),
    "OPT no longer approved": ("account_creation", _approved_today, _deny, "no longer has an approved OPT"),
}


@pytest.mark.parametrize("case", sorted(RECHECK_CASES))
def test_the_send_time_recheck_cancels_what_the_timeline_contradicts_on_the_send_day(
        factory, db_session, mailbox, time_machine, case):  # fmt: skip
    template, make, contradict, reason = RECHECK_CASES[case]
    _travel(time_machine, TODAY)
    student, day = make(factory, db_session)
    _travel(time_machine, day)
    create_due_notices(db_session, day)
    [email] = _student_emails(db_session, student, template)
    contradict(factory, db_session, student)
    assert deliver_due_emails(db_session, worker_id="t", limit=100).cancelled == 1
    assert email.status is EmailStatus.CANCELLED and reason in email.cancelled_reason
    assert not any(email.reference_code in path.read_text() for path in mailbox.glob("*.eml"))


def test_an_uncontradicted_notice_is_sent(factory, db_session, mailbox, time_machine):
    _travel(time_machine, TODAY)
    factory.student(opt_start=date(2025, 3, 10), opt_end=date(2026, 3, 9))
    create_due_notices(db_session, TODAY)
    assert deliver_due_emails(db_session, worker_id="t").sent == 1


def test_the_daily_sweep_costs_the_same_statements_for_3_or_6_students_with_notices(factory, db_session,
                                                                                      count_queries):  # fmt: skip
    def run_with(students: int, day: date) -> int:
        for _ in range(students):
            factory.student(opt_start=day - timedelta(days=365), opt_end=day - timedelta(days=1))
        with count_queries() as counter:
            assert create_due_notices(db_session, day) == students
        return counter["count"]

    assert run_with(3, TODAY) == run_with(6, TODAY + timedelta(days=40))

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
