"""Reporting obligations: due dates (the STEM ones from the timeline's duties), closing and marking them complete."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.models import Event, ReportingObligation
from portal.models.enums import EducationLevel, ObligationKind, OptStatus, Role
from portal.services.actors import Actor
from portal.services.clock import add_months
from portal.services.errors import Conflict, InvalidValue, NotAllowed, NotFound, RuleBroken
from portal.services.obligations import (
    DUTY_OBLIGATIONS,
    add_address_change_obligation,
    add_obligation,
    add_stem_obligations,
    mark_obligations_complete,
    parse_due_filter,
    participation_validation_due,
    sync_stem_obligations,
)
from portal.services.opt_decisions import complete_record_early, correct_opt, transfer_or_change_level
from portal.services.timeline import DutyState
from portal.services.timeline.database import student_timeline


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 15), 6, date(2026, 7, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
    ],
)
def test_add_months_clips_to_the_end_of_a_shorter_month(start, months, expected):
    assert add_months(start, months) == expected


def test_participation_is_validated_within_30_days_of_the_program_start():
    assert participation_validation_due(date(2026, 9, 1)) == (date(2026, 9, 1), date(2026, 10, 1))


def test_an_address_change_must_be_recorded_within_21_days(factory, db_session):
    student = factory.student()
    obligation = add_address_change_obligation(db_session, student, told_on=date(2026, 3, 1))
    assert obligation.due_on == date(2026, 3, 22) and obligation.kind is ObligationKind.ADDRESS_CHANGE


def _obligation(db_session, student, due_on=date(2026, 3, 1)):
    return add_obligation(db_session, student, kind=ObligationKind.ADDRESS_CHANGE, due_on=due_on, description="x")


def test_marking_several_complete_writes_one_event_each(factory, db_session):
    school = factory.school()
    dso = Actor.for_user(factory.user(role=Role.DSO, school=school))
    students = [factory.student(school=school) for _ in range(2)]
    obligations = [_obligation(db_session, student) for student in students]
    mark_obligations_complete(db_session, obligations, actor=dso)
    assert all(o.completed_at is not None and o.completed_by_user_id == dso.user_id for o in obligations)
    events = db_session.scalars(
        select(Event).where(Event.event_type == "obligation.completed", Event.school_id == school.id)
    ).all()
    assert sorted(e.student_id for e in events) == sorted(s.id for s in students)


def test_a_double_submit_is_refused_and_changes_nothing(factory, db_session):
    school = factory.school()
    dso = Actor.for_user(factory.user(role=Role.DSO, school=school))
    student = factory.student(school=school)
    first, second = _obligation(db_session, student), _obligation(db_session, student, date(2026, 4, 1))
    mark_obligations_complete(db_session, [first], actor=dso)
    with pytest.raises(Conflict, match="Already marked complete"):
        mark_obligations_complete(db_session, [first, second], actor=dso)
    assert second.completed_at is None


def test_another_schools_obligation_is_not_found(factory, db_session):
    dso = Actor.for_user(factory.user(role=Role.DSO))
    obligation = _obligation(db_session, factory.student())
    with pytest.raises(NotFound):
        mark_obligations_complete(db_session, [obligation], actor=dso)


def test_support_cannot_mark_complete_and_an_empty_choice_is_refused(factory, db_session):
    school = factory.school()
    obligation = _obligation(db_session, factory.student(school=school))
    with pytest.raises(NotAllowed):
        mark_obligations_complete(db_session, [obligation], actor=Actor.for_user(factory.user(role=Role.SUPPORT)))
    with pytest.raises(RuleBroken, match="at least one"):
        mark_obligations_complete(db_session, [], actor=Actor.for_user(factory.user(role=Role.DSO, school=school)))


# --- STEM obligations follow the timeline's duties (rule 15) -----------------------------------------

TODAY = date(2026, 6, 15)


def _stem_student(factory, school=None, *, stem_start=date(2026, 1, 31), stem_status="approved"):
    """Post-completion OPT up to the day before ``stem_start``, then a STEM OPT of 24 months."""
    student = factory.student(
        school=school, opt_start=stem_start - timedelta(days=365), opt_end=stem_start - timedelta(days=1), today=TODAY
    )
    factory.stem_opt(student, status=stem_status, start=stem_start)
    return student


def _stem_opt(student):
    return student.program_records[-1].opt_authorizations[-1]


def _rows(obligations):
    return sorted((o.opt_authorization_id, o.kind, o.window_opens_on, o.due_on) for o in obligations)


@pytest.mark.parametrize("stem_start", [date(2026, 1, 31), date(2025, 8, 31), date(2024, 2, 29), date(2026, 3, 8)])
def test_stem_obligations_have_the_timelines_due_and_opening_dates(factory, db_session, stem_start):
    student = _stem_student(factory, stem_start=stem_start)
    obligations = add_stem_obligations(db_session, _stem_opt(student))
    duties = student_timeline(db_session, student, TODAY).duties
    assert _rows(obligations) == sorted((d.opt_id, DUTY_OBLIGATIONS[d.kind], d.opens_on, d.due_on) for d in duties)


def test_a_stem_start_on_january_31_gives_these_dates(factory, db_session):
    student = _stem_student(factory, stem_start=date(2026, 1, 31))
    obligations = add_stem_obligations(db_session, _stem_opt(student))
    assert sorted((o.kind.value, o.window_opens_on, o.due_on) for o in obligations) == [
        ("i983_evaluation", date(2027, 1, 1), date(2027, 2, 10)),
        ("i983_final_evaluation", date(2027, 12, 31), date(2028, 2, 9)),  # the STEM end: 2028-01-30
        ("stem_validation", date(2026, 7, 1), date(2026, 8, 10)),
        ("stem_validation", date(2027, 1, 1), date(2027, 2, 10)),
        ("stem_validation", date(2027, 7, 1), date(2027, 8, 10)),
        ("stem_validation", date(2028, 1, 1), date(2028, 2, 10)),
    ]
    assert add_months(date(2026, 1, 31), 6) == date(2026, 7, 31)


def _deny(session, student, dso):
    correct_opt(session, _stem_opt(student), actor=dso, status=OptStatus.DENIED)


def _complete_early(session, student, dso):
    complete_record_early(session, student.program_records[-1], actor=dso, completed_on=TODAY, today=TODAY)


def _transfer(session, student, dso, factory):
    transfer_or_change_level(
        session,
        student,
        actor=dso,
        education_level=EducationLevel.DOCTORATE,
        start_date=TODAY,
        end_date=TODAY + timedelta(days=1500),
        to_school=factory.school(),
        today=TODAY,
    )


def _change_level(session, student, dso):
    transfer_or_change_level(
        session,
        student,
        actor=dso,
        education_level=EducationLevel.DOCTORATE,
        start_date=TODAY,
        end_date=TODAY + timedelta(days=1500),
        today=TODAY,
    )


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        (lambda s, st, dso, f: _deny(s, st, dso), "The STEM OPT extension was denied."),
        (lambda s, st, dso, f: _complete_early(s, st, dso), "The STEM OPT ended early, on June 15, 2026."),
        (lambda s, st, dso, f: _transfer(s, st, dso, f), "The student transferred to another school."),
        (lambda s, st, dso, f: _change_level(s, st, dso), "The student changed education level."),
    ],
    ids=["denied", "ended-early", "transfer", "change-of-level"],
)
def test_every_open_stem_obligation_closes_with_the_reason_in_history(factory, db_session, action, reason):
    school = factory.school()
    dso = Actor.for_user(factory.user(role=Role.DSO, school=school))
    student = _stem_student(factory, school)
    obligations = add_stem_obligations(db_session, _stem_opt(student))
    done = obligations[0]
    mark_obligations_complete(db_session, [done], actor=dso)
    action(db_session, student, dso, factory)
    still_open = [o for o in obligations if o is not done]
    assert all(o.closed_at is not None and o.closed_reason == reason for o in still_open)
    assert done.closed_at is None and done.completed_at is not None  # recorded before: stays recorded
    events = db_session.scalars(
        select(Event).where(Event.student_id == student.id, Event.event_type == "obligation.closed").order_by(Event.id)
    ).all()
    assert sorted(e.subject for e in events) == sorted(f"obligation:{o.id}" for o in still_open)
    assert {e.after["reason"] for e in events} == {reason} and events[0].actor_label == dso.label
    # The timeline says the same: each duty closed, with the same reason (what the reminders re-check).
    duties = student_timeline(db_session, student, TODAY).duties
    assert {(d.state, d.closed_reason) for d in duties} == {(DutyState.CLOSED, reason)}
    assert (
        db_session.scalar(
            select(ReportingObligation).where(
                ReportingObligation.student_id == student.id,
                ReportingObligation.open_condition(),
                ReportingObligation.kind.in_(DUTY_OBLIGATIONS.values()),
            )
        )
        is None
    )


def test_a_closed_obligation_cannot_be_marked_complete(factory, db_session):
    school = factory.school()
    dso = Actor.for_user(factory.user(role=Role.DSO, school=school))
    student = _stem_student(factory, school)
    obligation = add_stem_obligations(db_session, _stem_opt(student))[0]
    _deny(db_session, student, dso)
    with pytest.raises(Conflict, match="No longer required.*denied"):
        mark_obligations_complete(db_session, [obligation], actor=dso)


def test_a_denial_corrected_back_to_approval_reopens_the_obligations(factory, db_session):
    school = factory.school()
    dso = Actor.for_user(factory.user(role=Role.DSO, school=school))
    student = _stem_student(factory, school)
    obligations = add_stem_obligations(db_session, _stem_opt(student))
    _deny(db_session, student, dso)
    correct_opt(
        db_session,
        _stem_opt(student),
        actor=dso,
        status=OptStatus.APPROVED,
        actual_start_date=_stem_opt(student).start_date,
        actual_end_date=_stem_opt(student).end_date,
    )
    assert all(o.is_open for o in obligations)
    assert db_session.scalars(
        select(Event).where(Event.student_id == student.id, Event.event_type == "obligation.reopened")
    ).all()


def test_corrected_stem_dates_move_the_obligations_to_the_new_duties(factory, db_session):
    school = factory.school()
    dso = Actor.for_user(factory.user(role=Role.DSO, school=school))
    student = _stem_student(factory, school)
    opt = _stem_opt(student)
    old = add_stem_obligations(db_session, opt)
    correct_opt(
        db_session,
        opt,
        actor=dso,
        start_date=date(2026, 2, 10),
        end_date=date(2028, 2, 9),
        actual_start_date=date(2026, 2, 10),
        actual_end_date=date(2028, 2, 9),
    )
    assert all(o.closed_at is not None and "dates" in o.closed_reason for o in old)
    live = db_session.scalars(
        select(ReportingObligation).where(
            ReportingObligation.student_id == student.id, ReportingObligation.open_condition()
        )
    ).all()
    duties = student_timeline(db_session, student, TODAY).duties
    assert _rows(live) == sorted((d.opt_id, DUTY_OBLIGATIONS[d.kind], d.opens_on, d.due_on) for d in duties)


def test_sync_adds_the_obligations_of_a_stem_opt_approved_without_them(factory, db_session):
    student = _stem_student(factory)
    assert sync_stem_obligations(db_session, student, actor=Actor.system()) == []
    assert (
        len(db_session.scalars(select(ReportingObligation).where(ReportingObligation.student_id == student.id)).all())
        == 6
    )


def test_a_pending_or_denied_stem_opt_has_no_obligations(factory, db_session):
    for status in ("pending", "denied"):
        student = _stem_student(factory, stem_status=status)
        sync_stem_obligations(db_session, student, actor=Actor.system())
        assert (
            db_session.scalars(select(ReportingObligation).where(ReportingObligation.student_id == student.id)).all()
            == []
        )


# ---------------------------------------------------------------- the list's due-date filter (issue 12, finding 8)

_TODAY = date(2026, 11, 10)


@pytest.mark.parametrize(
    ("due", "before", "latest"),
    [
        ("", "", None),  # everything
        ("overdue", "", date(2026, 11, 9)),  # due before today
        ("within-7", "", date(2026, 11, 17)),  # today + 7, overdue included
        ("within-30", "", date(2026, 12, 10)),
        ("", "2026-12-01", date(2026, 11, 30)),  # "due before" excludes the day itself
        ("", "12/01/2026", date(2026, 11, 30)),  # as people type it without a date picker
        ("within-60", "2026-11-20", date(2026, 11, 19)),  # both: the earlier bound wins
        ("overdue", "2026-12-01", date(2026, 11, 9)),
    ],
)
def test_due_filter_latest_duedate(due, before, latest):
    assert parse_due_filter(due, before).latest_due(_TODAY) == latest


@pytest.mark.parametrize(
    ("due", "before", "field"),
    [
        ("within-8", "", "due"),
        ("soon", "", "due"),
        ("within-", "", "due"),
        ("", "tomorrow", "before"),
        ("", "2026-02-30", "before"),
        ("", "1899-01-01", "before"),
    ],
)
def test_due_filter_refuses_what_the_page_does_not_offer(due, before, field):
    with pytest.raises(InvalidValue) as error:
        parse_due_filter(due, before)
    assert error.value.field == field
