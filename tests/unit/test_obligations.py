"""Reporting obligations: the generation rules' due dates and marking them complete."""

from datetime import date

import pytest
from sqlalchemy import select

from portal.models import Event
from portal.models.enums import ObligationKind, Role
from portal.services.actors import Actor
from portal.services.errors import Conflict, NotAllowed, NotFound, RuleBroken
from portal.services.obligations import (
    add_address_change_obligation,
    add_months,
    add_obligation,
    i983_evaluation_due,
    mark_obligations_complete,
    participation_validation_due,
    stem_validation_windows,
)  # fmt: skip


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2026, 1, 15), 6, date(2026, 7, 15)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2027, 8, 31), 6, date(2028, 2, 29)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
])  # fmt: skip
def test_add_months_clips_to_the_end_of_a_shorter_month(start, months, expected):
    assert add_months(start, months) == expected


def test_participation_is_validated_within_30_days_of_the_program_start():
    assert participation_validation_due(date(2026, 9, 1)) == (date(2026, 9, 1), date(2026, 10, 1))


def test_stem_validation_reports_fall_in_a_window_of_30_days_either_side_of_6_12_18_24_months():
    assert stem_validation_windows(date(2026, 1, 1)) == [
        (6, date(2026, 6, 1), date(2026, 7, 31)),
        (12, date(2026, 12, 2), date(2027, 1, 31)),
        (18, date(2027, 6, 1), date(2027, 7, 31)),
        (24, date(2027, 12, 2), date(2028, 1, 31)),
    ]


def test_the_i983_evaluation_is_due_around_twelve_months():
    assert i983_evaluation_due(date(2026, 1, 1)) == (date(2026, 12, 2), date(2027, 1, 31))


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
    events = db_session.scalars(select(Event).where(Event.event_type == "obligation.completed",
                                                    Event.school_id == school.id)).all()  # fmt: skip
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
