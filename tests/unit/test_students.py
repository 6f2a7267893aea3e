"""Student records: SEVIS IDs, duplicates and date ranges, refused by the service and by the database."""

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DataError, IntegrityError

# PostgreSQL reports an over-long value as a DataError; both mean the database refused it.
REFUSED = (IntegrityError, DataError)

from portal.models import Event
from portal.models.enums import EducationLevel, OptKind
from portal.services.errors import Conflict, InvalidValue, RuleBroken
from portal.services.students import create_student, normalize_sevis_id, open_program_record, request_opt


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("N0012345678", "N0012345678"), (" n0012345678 ", "N0012345678")],
)
def test_sevis_id_is_normalized(raw, expected):
    assert normalize_sevis_id(raw) == expected


@pytest.mark.parametrize("raw", ["", "N123", "N00123456789", "X0012345678", "N00123456a8", "0012345678N", None])
def test_malformed_sevis_id_is_refused_with_an_example(raw):
    with pytest.raises(InvalidValue, match="letter N followed by 10 digits"):
        normalize_sevis_id(raw)


def test_duplicate_sevis_id_is_refused_by_the_service(factory, db_session):
    school = factory.school()
    create_student(
        db_session, factory.system, school=school, sevis_id="N0000000001", surname="One", email="one@example.edu"
    )
    with pytest.raises(Conflict, match="N0000000001 already exists"):
        create_student(
            db_session, factory.system, school=school, sevis_id="N0000000001", surname="Two", email="two@example.edu"
        )


def _insert_student(session, school_id, sevis_id):
    session.execute(
        text(
            "INSERT INTO students (sevis_id, school_id, surname, given_name, email, created_at, updated_at, version) "
            "VALUES (:sevis_id, :school_id, 'X', '', 'x@example.edu', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
        ),
        {"sevis_id": sevis_id, "school_id": school_id},
    )


@pytest.mark.parametrize("sevis_id", ["N123", "X0012345678", "N00123456a8", "N00123456789"])
def test_malformed_sevis_id_is_refused_by_the_database(factory, db_session, sevis_id):
    school = factory.school()
    with pytest.raises(REFUSED), db_session.begin_nested():
        _insert_student(db_session, school.id, sevis_id)


def test_duplicate_sevis_id_is_refused_by_the_database(factory, db_session):
    school = factory.school()
    _insert_student(db_session, school.id, "N0000000009")
    with pytest.raises(REFUSED), db_session.begin_nested():
        _insert_student(db_session, school.id, "N0000000009")


def test_end_date_before_start_is_refused_by_the_service(factory, db_session):
    student = factory.student(opt=None)
    with pytest.raises(RuleBroken, match="must be on or after the start date"):
        open_program_record(
            db_session,
            factory.system,
            student,
            education_level=EducationLevel.MASTERS,
            start_date=date(2026, 5, 1),
            end_date=date(2026, 4, 1),
        )
    with pytest.raises(RuleBroken):
        request_opt(
            db_session,
            factory.system,
            student.program_records[0],
            kind=OptKind.STEM,
            start_date=date(2026, 5, 1),
            end_date=date(2026, 4, 30),
        )


@pytest.mark.parametrize("table", ["program_records", "opt_authorizations"])
def test_end_date_before_start_is_refused_by_the_database(factory, db_session, table):
    student = factory.student()
    row_id = (
        student.program_records[0].id
        if table == "program_records"
        else student.program_records[0].opt_authorizations[0].id
    )
    with pytest.raises(REFUSED), db_session.begin_nested():
        db_session.execute(text(f"UPDATE {table} SET end_date = '2000-01-01' WHERE id = :id"), {"id": row_id})


def test_employer_end_before_start_and_bad_ein_refused_by_the_database(factory, db_session):
    student = factory.student()
    employer = factory.employer(student)
    for statement in [
        "UPDATE employers SET end_date = '2000-01-01' WHERE id = :id",
        "UPDATE employers SET ein = '12345678X' WHERE id = :id",
        "UPDATE employers SET employment_time = 'sometimes' WHERE id = :id",
    ]:
        with pytest.raises(REFUSED), db_session.begin_nested():
            db_session.execute(text(statement), {"id": employer.id})


def test_creating_a_student_writes_an_event(factory, db_session):
    student = factory.student(opt=None)
    types = db_session.scalars(select(Event.event_type).where(Event.student_id == student.id).order_by(Event.id)).all()
    assert types == ["student.created", "program.opened"]
