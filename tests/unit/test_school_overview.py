"""What the overview charts count, week by week."""

from datetime import UTC, date, datetime, timedelta

import time_machine

from portal.models.enums import ObligationKind, Role
from portal.services.actors import Actor
from portal.services.contact import update_phone
from portal.services.obligations import add_obligation, mark_obligations_complete
from portal.services.school_overview import changes_by_week, obligations_due_by_week

MONDAY = date(2026, 3, 2)


def test_open_obligations_are_counted_in_the_week_they_are_due_and_overdue_ones_in_the_first(factory, db_session):
    student = factory.student()
    for days in (-30, 0, 6, 7, 20):
        add_obligation(
            db_session,
            student,
            kind=ObligationKind.ADDRESS_CHANGE,
            due_on=MONDAY + timedelta(days=days),
            description="Address",
        )
    done = add_obligation(db_session, student, kind=ObligationKind.CONTACT_CHANGE, due_on=MONDAY, description="x")
    official = factory.user(role=Role.DSO, school=student.school)
    mark_obligations_complete(db_session, [done], actor=Actor.for_user(official))
    add_obligation(db_session, factory.student(), kind=ObligationKind.ADDRESS_CHANGE, due_on=MONDAY, description="x")
    starts = [MONDAY + timedelta(weeks=week) for week in range(4)]
    assert obligations_due_by_week(db_session, student.school_id, starts) == [3, 1, 1, 0]


def test_changes_are_counted_by_the_eastern_week_they_were_made_in(factory, db_session):
    student = factory.student()
    actor = Actor.for_user(factory.user(role=Role.STUDENT, student=student))
    # Sunday 11:30 pm Eastern is still the first week; Monday 12:30 am Eastern is the second.
    for moment in (
        datetime(2026, 3, 2, 15, tzinfo=UTC),
        datetime(2026, 3, 9, 3, 30, tzinfo=UTC),
        datetime(2026, 3, 9, 4, 30, tzinfo=UTC),
        datetime(2026, 3, 30, 15, tzinfo=UTC),
    ):
        with time_machine.travel(moment, tick=False):
            update_phone(
                db_session,
                student,
                f"61755{moment.day:02d}{moment.hour:03d}",
                actor=actor,
                expected_version=student.version,
            )
    days = [MONDAY + timedelta(weeks=week) for week in range(3)]
    assert changes_by_week(db_session, student.school_id, days) == [2, 1, 0]
    assert changes_by_week(db_session, factory.school().id, days) == [0, 0, 0]
