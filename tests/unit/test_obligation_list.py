"""What the obligations page reads: the school's open ones overdue first, or the completed ones, a page at a time."""

from datetime import date, timedelta

from portal.models.enums import ObligationKind, Role
from portal.services.actors import Actor
from portal.services.obligation_list import obligations_by_id, obligations_page
from portal.services.obligations import add_obligation, mark_obligations_complete

TODAY = date(2026, 6, 15)


def _add(session, student, days, kind=ObligationKind.ADDRESS_CHANGE):
    return add_obligation(session, student, kind=kind, due_on=TODAY + timedelta(days=days), description="Address")


def test_open_obligations_overdue_first_then_by_due_date_and_the_filter_and_pages_apply(factory, db_session):
    student = factory.student()
    later, overdue, soon, far = (_add(db_session, student, days) for days in (10, -3, 2, 60))
    _add(db_session, factory.student(), 1)  # another school's
    school_id = student.school_id
    rows, total = obligations_page(
        db_session, school_id, today=TODAY, show_done=False, latest_due=None, page=1, per_page=50
    )
    assert (rows, total) == ([overdue, soon, later, far], 4)
    due, total = obligations_page(
        db_session, school_id, today=TODAY, show_done=False, latest_due=TODAY + timedelta(days=10), page=2, per_page=2
    )
    assert (due, total) == ([later], 3)


def test_completed_obligations_are_listed_apart_latest_first(factory, db_session):
    student = factory.student()
    first, second, still_open = (_add(db_session, student, days) for days in (1, 2, 3))
    official = Actor.for_user(factory.user(role=Role.DSO, school=student.school))
    mark_obligations_complete(db_session, [first], actor=official)
    mark_obligations_complete(db_session, [second], actor=official)
    rows, total = obligations_page(
        db_session, student.school_id, today=TODAY, show_done=True, latest_due=None, page=1, per_page=50
    )
    assert total == 2 and set(rows) == {first, second} and still_open not in rows
    assert rows == sorted(rows, key=lambda row: (-row.completed_at.timestamp(), row.id))


def test_the_ticked_obligations_are_read_by_id_in_id_order(factory, db_session):
    student = factory.student()
    one, two = _add(db_session, student, 1), _add(db_session, student, 2)
    assert obligations_by_id(db_session, [two.id, one.id, 10**9]) == [one, two]
