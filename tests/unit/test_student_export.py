"""The students list as a download: the list's students, in the list's order, one row each of what it shows."""

import csv
import io
from datetime import date, timedelta

import pytest

from portal.models import utcnow
from portal.models.enums import Role
from portal.services.student_export import EXPORT_HEADER, export_csv, export_rows
from portal.services.student_search import search_students
from portal.services.student_search_terms import parse


@pytest.mark.parametrize("args", [{}, {"sort": "email", "dir": "desc"}, {"sort": "sevis_id"}, {"q": "exp"}])
def test_the_export_holds_the_lists_students_in_the_lists_order(factory, db_session, args):
    school = factory.school()
    for n, surname in enumerate(["Expb", "Expa", "Other", "Expc"]):
        factory.student(school=school, surname=surname, email=f"{9 - n}-{surname.lower()}@example.edu")
    factory.student(surname="Expelsewhere")  # another school's
    listed = [row.sevis_id for row in search_students(db_session, school.id, parse({**args, "per_page": 1000})).rows]
    rows = list(export_rows(db_session, school.id, parse(args)))
    assert [row[0] for row in rows] == listed and all(len(row) == len(EXPORT_HEADER) for row in rows)


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        ("created", ["Active", "Locked"]),
        ("pending", ["Invitation sent", "Not created"]),
        ("locked", ["Locked"]),
    ],
)
def test_the_account_filter_and_the_account_column_agree(factory, db_session, account, expected):
    school = factory.school()
    factory.user(role=Role.STUDENT, student=factory.student(school=school, surname="A"))
    factory.user(role=Role.STUDENT, student=factory.student(school=school, surname="B")).locked_until = (
        utcnow() + timedelta(minutes=30)
    )
    factory.user(role=Role.STUDENT, student=factory.student(school=school, surname="C"), password=None)
    factory.student(school=school, surname="D")
    db_session.flush()
    rows = export_rows(db_session, school.id, parse({"account": account}))
    assert [row[EXPORT_HEADER.index("Portal account")] for row in rows] == expected


def test_the_csv_starts_with_the_header_and_names_the_current_employer(factory, db_session):
    school = factory.school()
    student = factory.student(school=school, surname="Worker")
    factory.employer(student, name="Initech", start_date=date.today() - timedelta(days=3))
    db_session.flush()
    text = b"".join(export_csv(db_session, school.id, parse({}))).decode().lstrip("\ufeff")
    header, row = list(csv.reader(io.StringIO(text)))
    assert header == EXPORT_HEADER
    assert row[0] == student.sevis_id and row[EXPORT_HEADER.index("Current employer")] == "Initech"
