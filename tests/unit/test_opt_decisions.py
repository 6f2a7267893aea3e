"""Record actions a school official takes: approve, deny, correct, complete early, transfer, email of record."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.models import Event, OutboxEmail, ReportingObligation, School, TimelineMark, User
from portal.models.enums import EducationLevel, ObligationKind, OptKind, OptStatus, ProgramStatus, Role
from portal.services import opt_decisions
from portal.services.actors import Actor
from portal.services.errors import Conflict, NotAllowed, NotFound, RuleBroken
from portal.services.opt_decisions import (
    approve_opt,
    change_email_of_record,
    complete_record_early,
    correct_opt,
    deny_opt,
    early_completion,
    transfer_or_change_level,
    visible_to_student,
)
from portal.services.timeline import AccessLevel
from portal.services.timeline.database import student_timeline

TODAY = date(2026, 6, 15)


def _opt(student):
    return student.program_records[-1].opt_authorizations[-1]


def _ead(opt, *, shift: int = 0) -> dict:
    """EAD dates ``shift`` days after the requested ones (USCIS decides them; they rarely match the request)."""
    return {
        "actual_start_date": opt.start_date + timedelta(days=shift),
        "actual_end_date": opt.end_date + timedelta(days=shift),
    }


def _events(session, student, event_type):
    return session.scalars(select(Event).where(Event.student_id == student.id, Event.event_type == event_type)).all()


@pytest.fixture
def account_calls(monkeypatch):
    """Counts calls to the accounts service, so 'exactly once' is pinned whatever it does inside."""
    calls = []
    real = opt_decisions.create_account_if_due

    def counting(session, student, *, actor, today=None):
        calls.append(student.id)
        return real(session, student, actor=actor, today=today)

    monkeypatch.setattr(opt_decisions, "create_account_if_due", counting)
    return calls


def test_approving_a_pending_opt_creates_the_portal_account_once(factory, db_session, dso, account_calls):
    school = db_session.get(School, dso.school_id)
    student = factory.student(school=school, opt="pending")
    approve_opt(db_session, _opt(student), actor=dso, **_ead(_opt(student)))
    assert _opt(student).status is OptStatus.APPROVED
    assert account_calls == [student.id]
    assert db_session.scalar(select(User).where(User.student_id == student.id)) is not None
    assert (
        db_session.scalar(
            select(OutboxEmail).where(OutboxEmail.student_id == student.id, OutboxEmail.template == "account_creation")
        )
        is not None
    )
    assert len(_events(db_session, student, "opt.approved")) == 1


def test_a_second_approval_is_refused_and_creates_no_second_account(factory, db_session, dso, account_calls):
    student = factory.student(school=db_session.get(School, dso.school_id), opt="pending")
    approve_opt(db_session, _opt(student), actor=dso, **_ead(_opt(student)))
    with pytest.raises(Conflict, match="already approved"):
        approve_opt(db_session, _opt(student), actor=dso, **_ead(_opt(student)))
    assert account_calls == [student.id]


def test_a_correction_to_approved_creates_the_account(factory, db_session, dso, account_calls):
    student = factory.student(school=db_session.get(School, dso.school_id), opt="denied")
    correct_opt(db_session, _opt(student), actor=dso, status=OptStatus.APPROVED, **_ead(_opt(student)))
    assert account_calls == [student.id]
    assert len(_events(db_session, student, "opt.corrected")) == 1


def test_a_date_correction_of_an_approved_opt_creates_no_account(factory, db_session, dso, account_calls):
    student = factory.student(school=db_session.get(School, dso.school_id), opt="approved")
    opt = _opt(student)
    correct_opt(db_session, opt, actor=dso, end_date=opt.end_date + timedelta(days=10))
    assert account_calls == []


def test_a_correction_that_changes_nothing_is_refused(factory, db_session, dso):
    student = factory.student(school=db_session.get(School, dso.school_id), opt="approved")
    with pytest.raises(RuleBroken, match="changes nothing"):
        correct_opt(db_session, _opt(student), actor=dso, status=OptStatus.APPROVED)


def test_a_correction_with_an_inverted_range_is_refused(factory, db_session, dso):
    student = factory.student(school=db_session.get(School, dso.school_id), opt="approved")
    opt = _opt(student)
    with pytest.raises(RuleBroken, match="on or after"):
        correct_opt(db_session, opt, actor=dso, end_date=opt.start_date - timedelta(days=1))


def test_approving_stem_opt_generates_its_reporting_obligations(factory, db_session, dso, account_calls):
    student = factory.student(
        school=db_session.get(School, dso.school_id), opt="pending", opt_kind=OptKind.STEM, opt_start=date(2026, 1, 31)
    )
    approve_opt(db_session, _opt(student), actor=dso, **_ead(_opt(student)))
    kinds = sorted(
        (o.kind.value, o.due_on)
        for o in db_session.scalars(select(ReportingObligation).where(ReportingObligation.student_id == student.id))
    )
    # The timeline's duties: confirmations 10 days after 6 and 12 months (the STEM OPT ends 2027-01-30, so the
    # 12-month mark is the day after its end), and the final evaluation 10 days after the end; a STEM OPT shorter
    # than a year has no 12-month evaluation (rule 15).
    assert kinds == [
        ("i983_final_evaluation", date(2027, 2, 9)),
        ("stem_validation", date(2026, 8, 10)),
        ("stem_validation", date(2027, 2, 10)),
    ]


def test_denying_stem_opt_hides_it_and_its_employers_from_the_student_but_keeps_events(factory, db_session, dso):
    student = factory.student(school=db_session.get(School, dso.school_id), opt="pending", opt_kind=OptKind.STEM)
    employer = factory.employer(student)
    opt = _opt(student)
    deny_opt(db_session, opt, actor=dso, reason="USCIS denied the I-765.")
    assert opt.status is OptStatus.DENIED
    assert not visible_to_student(opt)
    (event,) = _events(db_session, student, "opt.denied")
    assert event.after["employers_hidden"] == [employer.id]
    assert _events(db_session, student, "opt.requested")  # History keeps every event


def test_denying_stem_opt_keeps_the_days_worked_under_it_while_pending_as_employed_days(
    factory, db_session, dso, time_machine
):
    """Rule 6 hides the employer; the 52 days it covered during the extension (March 10 to April 30) stay employed."""
    time_machine.move_to(datetime(2026, 2, 1, 15, tzinfo=UTC), tick=False)
    school = db_session.get(School, dso.school_id)
    student = factory.student(school=school, opt_start=date(2025, 3, 10), opt_end=date(2026, 3, 9))
    factory.employer(student, start_date=date(2025, 3, 10), end_date=date(2026, 3, 9))
    stem = factory.stem_opt(student, status="pending")  # timely: the extension runs from March 10
    stem_employer = factory.employer(student, opt_authorization=stem, name="Kestrel Energy", start_date=stem.start_date)
    assert student_timeline(db_session, student, date(2026, 4, 30)).unemployment.used == 0
    time_machine.move_to(datetime(2026, 5, 1, 15, tzinfo=UTC), tick=False)
    deny_opt(db_session, stem, actor=dso, reason="USCIS denied the I-765.")
    db_session.flush()
    timeline = student_timeline(db_session, student, date(2026, 5, 10))
    assert stem_employer.id not in {job.id for job in timeline.jobs}  # hidden from the view
    assert (timeline.unemployment.used, timeline.opt_end) == (0, date(2026, 4, 30))
    unemployed = db_session.scalars(
        select(TimelineMark.starts_on).where(TimelineMark.student_id == student.id, TimelineMark.kind == "unemployed")
    ).all()
    assert unemployed == []  # the DSO lists read the same marks


def test_a_denied_post_completion_opt_stays_visible(factory, db_session, dso):
    student = factory.student(school=db_session.get(School, dso.school_id), opt="pending")
    deny_opt(db_session, _opt(student), actor=dso)
    assert visible_to_student(_opt(student))


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.STUDENT])
def test_support_and_students_cannot_record_decisions(factory, db_session, role):
    student = factory.student(opt="pending")
    user = factory.user(role=role) if role is Role.SUPPORT else factory.user(role=role, student=student)
    with pytest.raises(NotAllowed):
        approve_opt(db_session, _opt(student), actor=Actor.for_user(user), **_ead(_opt(student)))
    assert _opt(student).status is OptStatus.PENDING


def test_an_official_of_another_school_gets_not_found(factory, db_session, dso):
    student = factory.student(opt="pending")
    with pytest.raises(NotFound):
        deny_opt(db_session, _opt(student), actor=dso)


# (OPT requested end, EAD end or None for the requested one, a timely STEM request pending, completed on, whether
# the completion ends the OPT, the last day of read-only access)
EARLY_COMPLETIONS = [
    pytest.param(date(2026, 12, 31), None, False, date(2026, 6, 1), True, date(2027, 6, 30), id="plain"),
    pytest.param(date(2026, 8, 31), None, False, date(2026, 6, 1), True, date(2027, 2, 28), id="aug-31-to-feb-28"),
    pytest.param(date(2027, 8, 31), None, False, date(2027, 6, 1), True, date(2028, 2, 29), id="aug-31-to-leap-feb-29"),
    pytest.param(date(2027, 2, 28), None, False, date(2027, 1, 5), True, date(2027, 8, 28), id="feb-28-to-aug-28"),
    # Six months count from the EAD's end date, never the requested one (rule 16's actual dates).
    pytest.param(
        date(2026, 8, 31), date(2026, 9, 10), False, date(2026, 8, 20), True, date(2027, 3, 10), id="ead-ends-later"
    ),
    # Completed after the requested end but inside the EAD's validity: the OPT is still running, so it ends.
    pytest.param(
        date(2026, 8, 31), date(2026, 9, 10), False, date(2026, 9, 5), True, date(2027, 3, 10), id="inside-ead-only"
    ),
    # Completed before the post-completion end: the pending request's extension never starts.
    pytest.param(date(2026, 12, 31), None, True, date(2026, 12, 1), True, date(2027, 6, 30), id="stem-pending-before"),
    # Completed during a pending request's extension: the extension, and so authorized time, ends on completion.
    pytest.param(
        date(2026, 12, 31), None, True, date(2027, 2, 15), False, date(2027, 8, 15), id="stem-pending-in-extension"
    ),
]


@pytest.mark.parametrize(
    ("opt_end", "ead_end", "stem_pending", "completed_on", "ends_opt", "last_day"), EARLY_COMPLETIONS
)
def test_early_completion_ends_the_opt_and_keeps_read_only_access_six_months_after_the_end_date(
    factory, db_session, dso, opt_end, ead_end, stem_pending, completed_on, ends_opt, last_day
):
    """The event says the last day of read-only access the timeline gives, read-only that day and closed the next."""
    today = completed_on + timedelta(days=3)
    student = factory.student(
        school=db_session.get(School, dso.school_id),
        opt_start=date(opt_end.year - 1, opt_end.month, 1),
        opt_end=opt_end,
        actual_end=ead_end,
        today=today,
    )
    if stem_pending:
        factory.stem_opt(student, status="pending")
    program = student.program_records[-1]
    post_completion = program.opt_authorizations[0]
    # What the DSO's confirmation shows beforehand is what the completion records, and asking writes nothing.
    assert early_completion(db_session, program, completed_on=completed_on, today=today).read_only_until == last_day
    assert program.status is ProgramStatus.ACTIVE and post_completion.ended_on is None
    complete_record_early(db_session, program, actor=dso, completed_on=completed_on, today=today)
    assert program.status is ProgramStatus.COMPLETED
    assert post_completion.ended_on == (completed_on if ends_opt else None)
    (event,) = _events(db_session, student, "program.completed_early")
    assert event.after["opts_ended"] == ([post_completion.id] if ends_opt else [])
    assert event.after["read_only_until"] == last_day.isoformat()
    assert student_timeline(db_session, student, today).access.read_only_until == last_day
    assert student_timeline(db_session, student, last_day).access.level is AccessLevel.READ_ONLY
    assert student_timeline(db_session, student, last_day + timedelta(days=1)).access.closed


def test_early_completion_refuses_a_future_date_and_a_second_completion(factory, db_session, dso):
    student = factory.student(school=db_session.get(School, dso.school_id), today=TODAY)
    program = student.program_records[-1]
    with pytest.raises(RuleBroken, match="future"):
        complete_record_early(db_session, program, actor=dso, completed_on=TODAY + timedelta(days=1), today=TODAY)
    complete_record_early(db_session, program, actor=dso, today=TODAY)
    with pytest.raises(Conflict, match="already completed"):
        complete_record_early(db_session, program, actor=dso, today=TODAY)


def test_change_of_level_opens_a_new_program_under_the_same_sevis_id_without_the_old_opt(factory, db_session, dso):
    student = factory.student(school=db_session.get(School, dso.school_id), today=TODAY)
    old = student.program_records[-1]
    new = transfer_or_change_level(
        db_session,
        student,
        actor=dso,
        education_level=EducationLevel.DOCTORATE,
        start_date=TODAY,
        end_date=TODAY + timedelta(days=1500),
        today=TODAY,
    )
    assert old.status is ProgramStatus.COMPLETED and old.opt_authorizations[0].ended_on == TODAY
    assert new.student_id == student.id and new.opt_authorizations == []
    assert student.sevis_id == new.student.sevis_id
    assert _events(db_session, student, "program.education_level_changed")
    obligation = db_session.scalar(
        select(ReportingObligation).where(
            ReportingObligation.student_id == student.id,
            ReportingObligation.kind == ObligationKind.PARTICIPATION_VALIDATION,
        )
    )
    assert obligation.due_on == TODAY + timedelta(days=30)


def test_transfer_out_moves_the_record_to_the_new_school(factory, db_session, dso):
    student = factory.student(school=db_session.get(School, dso.school_id), today=TODAY)
    other = factory.school()
    transfer_or_change_level(
        db_session,
        student,
        actor=dso,
        education_level=EducationLevel.MASTERS,
        start_date=TODAY,
        end_date=TODAY + timedelta(days=700),
        to_school=other,
        today=TODAY,
    )
    assert student.school_id == other.id
    assert student.program_records[0].status is ProgramStatus.TRANSFERRED
    assert _events(db_session, student, "program.transferred_out")


def test_transfer_without_an_active_program_is_refused(factory, db_session, dso):
    student = factory.student(school=db_session.get(School, dso.school_id), today=TODAY)
    complete_record_early(db_session, student.program_records[-1], actor=dso, today=TODAY)
    with pytest.raises(RuleBroken, match="no active program"):
        transfer_or_change_level(
            db_session,
            student,
            actor=dso,
            education_level=EducationLevel.MASTERS,
            start_date=TODAY,
            end_date=TODAY + timedelta(days=10),
            today=TODAY,
        )


def test_changing_the_email_of_record_writes_an_event_and_tells_both_addresses(factory, db_session, dso):
    student = factory.student(school=db_session.get(School, dso.school_id), email="old@example.edu")
    change_email_of_record(db_session, student, actor=dso, new_email=" New@Example.edu ")
    assert student.email == "new@example.edu"
    sent = db_session.scalars(select(OutboxEmail).where(OutboxEmail.student_id == student.id)).all()
    assert sorted(email.to_address for email in sent if email.template == "email_changed") == [
        "new@example.edu",
        "old@example.edu",
    ]
    (event,) = _events(db_session, student, "student.email_changed")
    assert event.before == {"email": "old@example.edu"} and event.after == {"email": "new@example.edu"}


@pytest.mark.parametrize("new_email", ["", "not-an-email", "<b>@x", "a" * 300 + "@example.edu"])
def test_a_malformed_email_of_record_is_refused(factory, db_session, dso, new_email):
    student = factory.student(school=db_session.get(School, dso.school_id))
    with pytest.raises(RuleBroken):
        change_email_of_record(db_session, student, actor=dso, new_email=new_email)


def test_an_email_used_by_another_account_is_refused(factory, db_session, dso):
    student = factory.student(school=db_session.get(School, dso.school_id))
    other = factory.user(role=Role.SUPPORT)
    with pytest.raises(Conflict, match="already uses"):
        change_email_of_record(db_session, student, actor=dso, new_email=other.email)


# --- The EAD card's dates (rule 16: unemployment counts from the actual start, never the requested one) ----------


@pytest.mark.parametrize("kind", [OptKind.POST_COMPLETION, OptKind.STEM])
def test_approval_records_the_ead_dates_beside_the_requested_ones(factory, db_session, dso, kind):
    requested_start = TODAY - timedelta(days=70)
    student = factory.student(
        school=db_session.get(School, dso.school_id),
        opt="pending",
        opt_kind=kind,
        opt_start=requested_start,
        opt_end=requested_start + timedelta(days=364),
        today=TODAY,
    )
    opt = _opt(student)
    approve_opt(db_session, opt, actor=dso, actual_start_date=TODAY, actual_end_date=TODAY + timedelta(days=364))
    assert (opt.start_date, opt.actual_start_date, opt.actual_end_date) == (
        requested_start,
        TODAY,
        TODAY + timedelta(days=364),
    )
    (event,) = _events(db_session, student, "opt.approved")
    assert (event.before["actual_start_date"], event.before["actual_end_date"]) == (None, None)
    assert event.after["actual_start_date"] == TODAY.isoformat()
    assert event.after["start_date"] == requested_start.isoformat()


BAD_EAD_DATES = [
    pytest.param(
        {"actual_start_date": TODAY + timedelta(days=1), "actual_end_date": TODAY},
        "actual_end_date",
        "cannot end",
        id="actual-start-after-actual-end",
    ),
    pytest.param(
        {"actual_start_date": TODAY, "actual_end_date": TODAY - timedelta(days=365)},
        "actual_end_date",
        "cannot end",
        id="ead-ending-before-it-starts",
    ),
    pytest.param(
        {"actual_start_date": "2026-02-30", "actual_end_date": TODAY},
        "actual_start_date",
        "not a date",
        id="start-not-a-date",
    ),
    pytest.param(
        {"actual_start_date": TODAY, "actual_end_date": 20270101}, "actual_end_date", "not a date", id="end-not-a-date"
    ),
    pytest.param(
        {"actual_start_date": None, "actual_end_date": TODAY}, "actual_start_date", "valid from", id="start-missing"
    ),
]


@pytest.mark.parametrize(("dates", "field", "message"), BAD_EAD_DATES)
def test_approval_with_bad_ead_dates_is_refused_on_the_field_and_changes_nothing(
    factory, db_session, dso, account_calls, dates, field, message
):
    student = factory.student(school=db_session.get(School, dso.school_id), opt="pending")
    with pytest.raises(RuleBroken, match=message) as refused:
        approve_opt(db_session, _opt(student), actor=dso, **dates)
    assert refused.value.field == field
    assert _opt(student).status is OptStatus.PENDING and _opt(student).actual_start_date is None
    assert account_calls == [] and _events(db_session, student, "opt.approved") == []


@pytest.mark.parametrize(("dates", "field", "message"), BAD_EAD_DATES[:4])  # an empty one keeps the recorded date
def test_a_correction_with_bad_ead_dates_is_refused_on_the_field(factory, db_session, dso, dates, field, message):
    student = factory.student(school=db_session.get(School, dso.school_id), opt="approved")
    recorded = _opt(student).actual_start_date
    with pytest.raises(RuleBroken, match=message) as refused:
        correct_opt(db_session, _opt(student), actor=dso, **dates)
    assert refused.value.field == field and _opt(student).actual_start_date == recorded


def test_a_correction_to_approved_without_ead_dates_is_refused(factory, db_session, dso, account_calls):
    student = factory.student(school=db_session.get(School, dso.school_id), opt="denied")
    with pytest.raises(RuleBroken, match="valid from") as refused:
        correct_opt(db_session, _opt(student), actor=dso, status=OptStatus.APPROVED)
    assert refused.value.field == "actual_start_date"
    assert _opt(student).status is OptStatus.DENIED and account_calls == []


def test_a_correction_of_the_ead_dates_is_recorded_with_before_and_after(factory, db_session, dso):
    student = factory.student(school=db_session.get(School, dso.school_id), opt="approved")
    opt = _opt(student)
    old_start = opt.actual_start_date
    correct_opt(db_session, opt, actor=dso, actual_start_date=old_start + timedelta(days=12))
    assert opt.actual_start_date == old_start + timedelta(days=12) and opt.start_date == old_start
    (event,) = _events(db_session, student, "opt.corrected")
    assert event.before["actual_start_date"] == old_start.isoformat()
    assert event.after["actual_start_date"] == (old_start + timedelta(days=12)).isoformat()


def test_a_correction_away_from_approved_clears_the_ead_dates_and_refuses_new_ones(factory, db_session, dso):
    student = factory.student(school=db_session.get(School, dso.school_id), opt="approved")
    opt = _opt(student)
    with pytest.raises(RuleBroken, match="Only an approved OPT") as refused:
        correct_opt(db_session, opt, actor=dso, status=OptStatus.DENIED, actual_start_date=TODAY)
    assert refused.value.field == "actual_start_date"
    correct_opt(db_session, opt, actor=dso, status=OptStatus.DENIED)
    assert (opt.actual_start_date, opt.actual_end_date) == (None, None)
    (event,) = _events(db_session, student, "opt.corrected")
    assert event.before["actual_start_date"] is not None and event.after["actual_start_date"] is None


def test_the_factory_gives_an_approved_opt_the_requested_dates_as_ead_dates_unless_told(factory):
    plain = _opt(factory.student(opt_start=date(2026, 1, 10), opt_end=date(2027, 1, 9)))
    assert (plain.actual_start_date, plain.actual_end_date) == (date(2026, 1, 10), date(2027, 1, 9))
    told = _opt(
        factory.student(opt_start=date(2026, 1, 10), actual_start=date(2026, 2, 3), actual_end=date(2027, 2, 2))
    )
    assert (told.start_date, told.actual_start_date, told.actual_end_date) == (
        date(2026, 1, 10),
        date(2026, 2, 3),
        date(2027, 2, 2),
    )
    pending = _opt(factory.student(opt="pending"))
    assert (pending.actual_start_date, pending.actual_end_date) == (None, None)
    stem = factory.stem_opt(factory.student(), actual_start=date(2027, 3, 1))
    assert stem.actual_start_date == date(2027, 3, 1) and stem.actual_end_date == stem.end_date
