"""students.employed_until follows the student's live employers whatever writes them (portal/models/employment.py).

The DSO list, its alerts and its exports no longer read it (they read the timeline's marks: tests/unit/
test_student_alerts.py); the column and its triggers stay until a migration drops them."""

import os
import random
import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, delete, insert, select, text, update

from portal.models import Employer, Student, utcnow
from tests.support.factories import Factory
from tests.support.live_db import live_app, live_session

NO_END = date(9999, 12, 31)
TODAY = date.today()


def _until(session, student):
    session.flush()
    return session.scalar(select(Student.employed_until).where(Student.id == student.id))


def _live_reach(session, student):
    """What employed_until means, from the employers themselves."""
    ends = session.scalars(select(Employer.end_date).where(Employer.student_id == student.id,
                                                            Employer.deleted_at.is_(None))).all()  # fmt: skip
    return max((end or NO_END for end in ends), default=None)


def test_it_follows_adds_end_dates_deletes_restores_and_removals(factory, db_session):
    student = factory.student()
    assert _until(db_session, student) is None
    current = factory.employer(student, name="Current Co")
    assert _until(db_session, student) == NO_END
    earlier = factory.employer(student, name="Earlier Co", end_date=TODAY - timedelta(days=3))
    assert _until(db_session, student) == NO_END
    current.end_date = TODAY + timedelta(days=40)
    assert _until(db_session, student) == TODAY + timedelta(days=40)
    current.deleted_at = utcnow()
    assert _until(db_session, student) == TODAY - timedelta(days=3)
    current.deleted_at = None
    assert _until(db_session, student) == TODAY + timedelta(days=40)
    db_session.execute(update(Employer).where(Employer.id == current.id).values(end_date=None))  # a bulk write too
    assert _until(db_session, student) == NO_END
    db_session.delete(current)
    assert _until(db_session, student) == TODAY - timedelta(days=3)
    db_session.execute(delete(Employer).where(Employer.id == earlier.id))
    assert _until(db_session, student) is None


def test_moving_an_employer_to_another_student_refreshes_both(factory, db_session):
    first, second = factory.student(), factory.student()
    employer = factory.employer(first)
    employer.student = second
    employer.student_id = second.id
    assert _until(db_session, first) is None and _until(db_session, second) == NO_END


def test_any_sequence_of_employer_changes_keeps_it_equal_to_the_live_employers(factory, db_session):
    chooser = random.Random(62)
    students = [factory.student() for _ in range(3)]
    employers: list[Employer] = []
    for _step in range(60):
        action = chooser.choice(["add", "add", "end", "reopen", "delete", "restore", "remove"])
        student = chooser.choice(students)
        if action == "add" or not employers:
            end = chooser.choice([None, TODAY - timedelta(days=chooser.randint(0, 90)), TODAY + timedelta(days=30)])
            employers.append(factory.employer(student, start_date=TODAY - timedelta(days=120), end_date=end))
            continue
        employer = chooser.choice(employers)
        if action == "end":
            employer.end_date = TODAY - timedelta(days=chooser.randint(0, 100))
        elif action == "reopen":
            employer.end_date = None
        elif action == "delete":
            employer.deleted_at = utcnow()
        elif action == "restore":
            employer.deleted_at = None
        else:
            employers.remove(employer)
            db_session.delete(employer)
        for each in students:
            assert _until(db_session, each) == _live_reach(db_session, each)


def _employer_row(student_id: int, end: date | None) -> dict:
    return dict(student_id=student_id, name="Concurrent Co", address_line1="1 Main Street", address_line2="",
                city="Boston", state="MA", postal_code="02110", self_employed=False, course_relevance="Relevant.",
                employment_time="full_time", start_date=TODAY - timedelta(days=30), end_date=end, reported_late=False,
                review_status="not_needed", created_at=utcnow(), updated_at=utcnow(), version=1)  # fmt: skip


@pytest.mark.skipif(os.environ.get("PORTAL_TEST_DB", "sqlite") != "postgresql",
                    reason="two writers at once exist only on PostgreSQL (SQLite writes one at a time)")  # fmt: skip
def test_two_concurrent_employer_changes_for_one_student_are_both_counted(fresh_database_url):
    application = live_app(fresh_database_url)
    with live_session(application) as session:
        student_id = Factory(session).student().id
        session.commit()
    engine = create_engine(fresh_database_url)
    try:
        first = engine.connect()
        first_transaction = first.begin()
        first.execute(insert(Employer.__table__).values(**_employer_row(student_id, None)))  # holds the student

        def second():
            with engine.begin() as connection:
                connection.execute(insert(Employer.__table__).values(**_employer_row(student_id, TODAY)))

        writer = threading.Thread(target=second)
        writer.start()
        with engine.connect() as watcher:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not watcher.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")):  # fmt: skip
                time.sleep(0.05)
        first_transaction.commit()
        first.close()
        writer.join(10)
        with engine.connect() as connection:
            until = connection.scalar(select(Student.employed_until).where(Student.id == student_id))
    finally:
        engine.dispose()
    assert until == NO_END  # the open-ended employment the second writer could not see when it started
