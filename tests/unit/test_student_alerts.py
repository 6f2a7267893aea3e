"""The DSO alerts and their filters name, on every day, exactly the students the timeline puts on them (DESIGN rule 16):
"Approved OPT without current employer information" = the day counts as an unemployment day; "Unemployment nearing
the limit" = counting, with 30 or fewer of the cumulative days left."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.models import Student, utcnow
from portal.models.enums import EmployerReview
from portal.services.student_alerts import school_alerts
from portal.services.student_search import search_students
from portal.services.student_search_terms import parse
from portal.services.timeline.database import timelines_for

TODAY = date.today()


def _on_the_timeline(session, school, day) -> dict[str, set[int]]:
    ids = session.scalars(select(Student.id).where(Student.school_id == school.id)).all()
    that_day, day_before = timelines_for(session, ids, day), timelines_for(session, ids, day - timedelta(days=1))
    return {
        # the day is an unemployment day: the timeline's own count goes up by one
        "no_employer": {i for i in ids if that_day[i].unemployment.used - day_before[i].unemployment.used == 1},
        "nearing_limit": {i for i in ids if that_day[i].unemployment.nearing_limit},
    }


def _listed(session, school, key, day) -> set[int]:
    return {row.id for row in search_students(session, school.id, parse({key: "1", "per_page": 1000}), today=day).rows}


def test_alert_counts_and_filters_agree_with_the_timeline_on_every_day(factory, db_session):
    school = factory.school()
    gaps = factory.student(school=school, opt_start=TODAY - timedelta(days=100))  # idle, worked 35 days, idle again
    factory.employer(gaps, start_date=TODAY - timedelta(days=95), end_date=TODAY - timedelta(days=61))
    factory.student(school=school, opt_start=TODAY - timedelta(days=10))  # idle, far from the limit
    factory.student(school=school, opt=None)  # no OPT: never on either alert
    factory.student(school=school, opt="pending")
    factory.student(school=school, opt_start=TODAY + timedelta(days=20))  # approved, not started yet
    ended = factory.student(school=school, opt_start=TODAY - timedelta(days=200))
    factory.employer(ended, start_date=TODAY - timedelta(days=150), end_date=TODAY - timedelta(days=20))
    ending = factory.student(school=school, opt_start=TODAY - timedelta(days=90))
    factory.employer(ending, start_date=TODAY - timedelta(days=80), end_date=TODAY + timedelta(days=5))
    employed = factory.student(school=school, opt_start=TODAY - timedelta(days=90))
    factory.employer(employed, start_date=TODAY - timedelta(days=80))
    deleted = factory.student(school=school, opt_start=TODAY - timedelta(days=90))
    factory.employer(deleted, start_date=TODAY - timedelta(days=80), deleted_at=utcnow())
    upcoming = factory.student(school=school, opt_start=TODAY - timedelta(days=40))
    factory.employer(upcoming, start_date=TODAY + timedelta(days=30))  # a job that has not started is no job yet
    stem = factory.student(school=school, opt_start=TODAY - timedelta(days=400))
    factory.stem_opt(stem, start=TODAY - timedelta(days=35))
    factory.employer(stem, start_date=TODAY - timedelta(days=400), review_status=EmployerReview.WAITING)
    factory.employer(factory.student(), name="Another school's")
    db_session.flush()
    for offset in (-1, 0, 1, 4, 5, 6, 20, 21, 40, 61, 80, 200, 400):
        day = TODAY + timedelta(days=offset)
        expected = _on_the_timeline(db_session, school, day)
        counts = {alert.key: alert.count for alert in school_alerts(db_session, school.id, today=day)}
        for key, students in expected.items():
            assert counts.get(key, 0) == len(students), (offset, key)
            assert _listed(db_session, school, key, day) == students, (offset, key)
    # Today six are without a job that counts (gaps, the new one, ended, deleted, upcoming, and STEM: its employer
    # waits for review); near the limit: gaps (66 of 90 days, never 60 in a row), ended (70), deleted (91).
    assert {
        alert.key: alert.count
        for alert in school_alerts(db_session, school.id, today=TODAY)
        if alert.key in ("no_employer", "nearing_limit")
    } == {"no_employer": 6, "nearing_limit": 3}


@pytest.mark.parametrize("per_page", [10, 25])
def test_the_no_employer_filter_lists_exactly_the_students_the_timeline_names(factory, db_session, per_page):
    school = factory.school()
    idle = [factory.student(school=school, surname=f"Idle{number:02d}") for number in range(12)]
    for number in range(8):
        factory.employer(factory.student(school=school, surname=f"Busy{number}"))
    listed, page, pages = [], 1, 1
    while page <= pages:
        result = search_students(db_session, school.id, parse({"no_employer": "1", "per_page": per_page, "page": page}))
        listed += [row.sevis_id for row in result.rows]
        page, pages = page + 1, result.pages
    assert listed == [student.sevis_id for student in idle] and result.total == 12
