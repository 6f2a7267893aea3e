"""The students list as a download: the list's students, in the list's order, one row each of what it shows."""

import csv
import io
import zipfile
from datetime import date, timedelta

import pytest

from portal.models import utcnow
from portal.models.enums import EmploymentTime, EmploymentType, OptKind, OptStatus, Role
from portal.services.exports import FORMULA_STARTS
from portal.services.labels import LABELS
from portal.services.student_export import EXPORT_HEADER, WORDS_FOR, export_csv, export_rows, export_xlsx
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


def test_the_employment_type_column_is_the_current_employers_in_words(factory, db_session):
    school = factory.school()
    owner = factory.student(school=school, surname="Owner")
    factory.employer(
        owner, name="Old Job", start_date=date.today() - timedelta(days=40), end_date=date.today() - timedelta(days=20)
    )
    factory.employer(
        owner,
        name="Own Shop",
        start_date=date.today() - timedelta(days=10),
        employment_type=EmploymentType.SELF_EMPLOYED,
    )
    past = factory.student(school=school, surname="Past")
    factory.employer(
        past, name="Ended", start_date=date.today() - timedelta(days=40), end_date=date.today() - timedelta(days=1)
    )
    factory.student(school=school, surname="Nobody")
    db_session.flush()
    column = EXPORT_HEADER.index("Employment type")
    assert EXPORT_HEADER[column - 1] == "Current employer"
    rows = {row[1]: row for row in export_rows(db_session, school.id, parse({}))}
    assert rows["Owner"][column - 1 : column + 1] == ("Own Shop", "Self-employed business owner")
    assert rows["Past"][column - 1 : column + 1] == (None, None)
    assert rows["Nobody"][column - 1 : column + 1] == (None, None)


# The values a person must not read in a cell: every stored value of the enums the export shows.
RAW_VALUES = {member.value for enum in (OptKind, OptStatus, EmploymentType, EmploymentTime) for member in enum}


def test_the_export_files_hold_words_not_stored_values(factory, db_session):
    school = factory.school()
    stem = factory.student(school=school, surname="Stem")
    factory.stem_opt(stem)
    factory.employer(
        stem,
        name="Agency",
        start_date=date.today() - timedelta(days=3),
        employment_type=EmploymentType.AGENCY_OR_CONTRACT,
    )
    worker = factory.student(school=school, surname="Worker")
    factory.employer(worker, name="Initech", start_date=date.today() - timedelta(days=3))
    db_session.flush()
    text = b"".join(export_csv(db_session, school.id, parse({}))).decode().lstrip("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(text)))
    cells = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(row["OPT type"], row["OPT status"], row["Employment type"]) for row in cells] == [
        ("STEM OPT", "Approved", "Through an agency or on contract"),
        ("Post-completion OPT", "Approved", "Paid employee"),
    ]
    assert not {cell for row in [header, *rows] for cell in row} & RAW_VALUES
    sheet = zipfile.ZipFile(io.BytesIO(b"".join(export_xlsx(db_session, school.id, parse({}))))).read(
        "xl/worksheets/sheet1.xml"
    )
    assert b"<t>Employment type</t>" in sheet and b"<t>Through an agency or on contract</t>" in sheet
    assert not {value for value in RAW_VALUES if f"<t>{value}</t>".encode() in sheet}


@pytest.mark.parametrize("enum", sorted(set(WORDS_FOR.values()), key=lambda enum: enum.__name__))
def test_the_words_in_enum_columns_need_no_defusing_or_escaping(enum):
    """PostgreSQL's COPY writes these columns as they are ("plain"): a label with & or a leading - would break that."""
    for words in LABELS[enum].values():
        assert words == words.strip() and not words.startswith(FORMULA_STARTS)
        assert not set(words) & set('&<>"') and words.isprintable()


def test_the_export_is_one_statement_whatever_the_number_of_students(factory, db_session, count_queries):
    school = factory.school()

    def statements() -> int:
        with count_queries() as counter:
            b"".join(export_csv(db_session, school.id, parse({})))
        return counter["count"]

    worker = factory.student(school=school)
    factory.employer(worker, start_date=date.today() - timedelta(days=3))
    db_session.flush()
    one = statements()
    for _ in range(12):
        factory.employer(factory.student(school=school), start_date=date.today() - timedelta(days=3))
    db_session.flush()
    assert statements() == one and one <= 1  # PostgreSQL's COPY runs on the raw connection, outside the count
