"""The read of one student that Student Information and support's student page make."""

from datetime import date, timedelta

import pytest

from portal.models import School, utcnow
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.errors import NotFound
from portal.services.student_record import EMPLOYERS_PER_PAGE, student_for_support, student_record


@pytest.fixture
def official(factory):
    return Actor.for_user(factory.user(role=Role.DSO))


def test_an_official_reads_their_schools_student_and_not_another_schools(factory, db_session, official):
    mine = factory.student(school=db_session.get(School, official.school_id))
    record = student_record(db_session, official, mine.sevis_id, date.today())
    assert record.student is mine and record.timeline.today == date.today() and record.documents == []
    with pytest.raises(NotFound):
        student_record(db_session, official, factory.student().sevis_id, date.today())


def test_employers_come_a_page_at_a_time_live_ones_first_newest_first(factory, db_session):
    student = factory.student()
    today = date.today()
    deleted = factory.employer(student, name="Deleted", start_date=today - timedelta(days=1), deleted_at=utcnow())
    for n in range(EMPLOYERS_PER_PAGE + 1):
        factory.employer(student, name=f"Job {n:02d}", start_date=today - timedelta(days=100 - n), ein=None)
    first = student_record(db_session, Actor.system(), student.sevis_id, today)
    last = student_record(db_session, Actor.system(), student.sevis_id, today, employers_page=2)
    assert first.employer_total == EMPLOYERS_PER_PAGE + 2 and first.employer_pages == 2
    assert first.employers[0].employer.name == f"Job {EMPLOYERS_PER_PAGE:02d}" and first.employers[0].state is not None
    assert [row.employer for row in last.employers][-1] is deleted and last.employers[-1].state is None
    past = student_record(db_session, Actor.system(), student.sevis_id, today, employers_page=9)
    assert past.employers == [] and past.employer_total == 0


def test_support_reads_a_student_of_any_school_and_an_official_only_their_own(factory, db_session, official):
    student = factory.student()
    support = Actor.for_user(factory.user(role=Role.SUPPORT))
    assert student_for_support(db_session, support, student.sevis_id) is student
    with pytest.raises(NotFound):
        student_for_support(db_session, official, student.sevis_id)
