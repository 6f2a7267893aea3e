"""The students list: own school only, search, filters, page sizes, exports, alerts, constant SQL."""

import csv
import io
import re
import zipfile
from datetime import date, timedelta

import pytest
import time_machine
from openpyxl import load_workbook

from portal.models import utcnow
from portal.models.enums import ChangeKind, EmployerReview, EmploymentType, ObligationKind, OptKind, Role
from portal.services.actors import Actor
from portal.services.clock import today_eastern
from portal.services.events import record_event
from portal.services.exports import csv_chunks, xlsx_chunks
from portal.services.obligations import add_obligation
from portal.services.student_export import EXPORT_HEADER, export_rows
from portal.services.student_search_terms import parse


def _get(client, **args):
    return client.get("/admin/students", query_string=args)


def test_a_dso_sees_only_their_own_schools_students(client, factory, school, dso):
    mine = factory.student(school=school, surname="Mine")
    other = factory.student(surname="Elsewhere")
    body = _get(client).get_data(as_text=True)
    assert mine.sevis_id in body and other.sevis_id not in body


@pytest.mark.parametrize(
    "term",
    [
        "Zhang",
        "wei zhang",
        "N0099999999",
        "wei.z@",
        "Initech",
        "zha",
        "WEI",
        "ei zh",
        "n00999",
        "WEI.Z@EXAMPLE",
        "nitec",
    ],
)
def test_search_finds_by_name_sevis_id_email_or_employer(client, factory, school, dso, term):
    student = factory.student(
        school=school, surname="Zhang", given_name="Wei", sevis_id="N0099999999", email="wei.z@example.edu"
    )
    factory.employer(student, name="Initech")
    decoy = factory.student(school=school, surname="Other")
    body = _get(client, q=term).get_data(as_text=True)
    assert student.sevis_id in body and decoy.sevis_id not in body


def test_search_treats_wildcards_as_characters(client, factory, school, dso):
    factory.student(school=school, surname="Plain")
    body = _get(client, q="%").get_data(as_text=True)
    assert "No students match" in body


def test_filter_no_current_employer(client, factory, school, dso):
    employed = factory.student(school=school)
    factory.employer(employed)
    idle = factory.student(school=school)
    body = _get(client, no_employer="1").get_data(as_text=True)
    assert idle.sevis_id in body and employed.sevis_id not in body


def test_filter_unemployment_nearing_the_limit(client, factory, school, dso):
    today = today_eastern()
    long_idle = factory.student(school=school, opt_start=today - timedelta(days=69), today=today)  # 70 of 90 used
    recent = factory.student(school=school, opt_start=today - timedelta(days=20), today=today)
    body = _get(client, nearing_limit="1").get_data(as_text=True)
    assert long_idle.sevis_id in body and recent.sevis_id not in body


def test_filter_opt_type_and_account(client, factory, school, dso):
    stem = factory.student(school=school, opt_kind=OptKind.STEM)
    post = factory.student(school=school)
    factory.user(role=Role.STUDENT, student=post)
    body = _get(client, opt_kind="stem").get_data(as_text=True)
    assert stem.sevis_id in body and post.sevis_id not in body
    body = _get(client, account="created").get_data(as_text=True)
    assert post.sevis_id in body and stem.sevis_id not in body


@pytest.mark.parametrize(
    "args",
    [
        {"opt_kind": "<script>"},
        {"changed_since": "31/31/2026"},
        {"q": "x" * 5000},
        {"q": "a\x00b"},
        {"per_page": "9999999"},
        {"page": "-4"},
        {"sort": "drop table"},
    ],
)
def test_bad_list_arguments_get_a_message_or_a_default_never_a_500(client, school, dso, args):
    response = _get(client, **args)
    assert response.status_code in (200, 422)


@pytest.mark.parametrize("size", [10, 1000])
def test_page_sizes_from_10_to_1000(client, factory, school, dso, size):
    for _ in range(12):
        factory.student(school=school)
    body = _get(client, per_page=size).get_data(as_text=True)
    assert body.count('href="/admin/students/N') == min(size, 12)


def test_htmx_search_swaps_only_the_results(client, factory, school, dso):
    response = client.get("/admin/students", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="student-results"' in body


def test_csv_and_xlsx_export_the_current_filtered_list(client, factory, school, dso):
    keep = factory.student(school=school, surname="Keep")
    factory.student(school=school, surname="Drop")
    response = client.get("/admin/students/export.csv", query_string={"q": "Keep"})
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "SEVIS ID"
    assert [row[0] for row in rows[1:]] == [keep.sevis_id]
    response = client.get("/admin/students/export.xlsx", query_string={"q": "Keep"})
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [keep.sevis_id]


def test_export_rows_show_the_latest_opt_the_account_state_the_current_employer_and_the_alerts(
    client, factory, school, dso
):
    stem = factory.student(school=school, surname="Stem")
    stem_opt = factory.stem_opt(stem)
    factory.user(role=Role.STUDENT, student=stem)
    locked = factory.student(school=school, surname="Locked")
    factory.user(role=Role.STUDENT, student=locked).locked_until = utcnow() + timedelta(minutes=30)
    invited = factory.student(school=school, surname="Invited", opt=None)
    factory.user(role=Role.STUDENT, student=invited, password=None)
    factory.student(school=school, surname="Nobody")
    factory.employer(stem, name="Old Co", start_date=date.today() - timedelta(days=20))
    factory.employer(
        stem,
        name="New Co",
        start_date=date.today() - timedelta(days=5),
        employment_type=EmploymentType.AGENCY_OR_CONTRACT,
    )
    factory.employer(stem, name="Gone Co", start_date=date.today(), deleted_at=utcnow())
    factory.session.flush()
    text = client.get("/admin/students/export.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = {row[1]: row for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert rows["Stem"][4:] == [
        "STEM OPT",
        "Approved",
        stem_opt.start_date.isoformat(),
        stem_opt.end_date.isoformat(),
        "Active",
        "New Co",
        "Through an agency or on contract",
        "No",
        "No",
    ]
    assert rows["Locked"][4:6] == ["Post-completion OPT", "Approved"]
    assert rows["Locked"][8:] == ["Locked", "", "", "Yes", "No"]  # 30 days into the OPT without an employer
    assert rows["Invited"][4:] == ["", "", "", "", "Invitation sent", "", "", "No", "No"]
    assert rows["Nobody"][8] == "Not created"


@pytest.mark.parametrize("args", [{}, {"sort": "email", "dir": "desc"}, {"q": "Stem"}])
def test_the_export_files_hold_the_rows_byte_for_byte_as_python_writes_them(client, factory, school, dso, args):
    """On PostgreSQL the database writes the files (COPY); on SQLite they are these rows written by Python."""
    stem = factory.student(school=school, surname='=Stem "Quoted", <Jr> & Co', given_name="\u00a0Ana ")
    factory.stem_opt(stem)
    factory.user(role=Role.STUDENT, student=stem).locked_until = utcnow() + timedelta(minutes=30)
    factory.employer(stem, name="Older", start_date=date.today() - timedelta(days=9))
    factory.employer(stem, name="Same day, first", start_date=date.today() - timedelta(days=2))
    factory.employer(
        stem,
        name="Same day, later\nline",
        start_date=date.today() - timedelta(days=2),
        employment_type=EmploymentType.AGENCY_OR_CONTRACT,
    )
    factory.student(school=school, surname="Plain", opt=None)
    factory.user(role=Role.STUDENT, student=factory.student(school=school, surname="-Dash"), password=None)
    factory.session.flush()
    rows = list(export_rows(factory.session, school.id, parse(args)))
    assert {row[9] for row in rows if row[1].startswith("=Stem")} == {"Same day, later\nline"}  # newest reported
    csv_body = client.get("/admin/students/export.csv", query_string=args).data
    assert csv_body == "".join(csv_chunks(EXPORT_HEADER, rows)).encode()
    sheets = [
        zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml")
        for body in (
            client.get("/admin/students/export.xlsx", query_string=args).data,
            b"".join(xlsx_chunks(EXPORT_HEADER, rows, sheet="Students")),
        )
    ]
    assert sheets[0] == sheets[1]


def test_a_formula_in_a_name_is_defused_in_the_csv(client, factory, school, dso):
    factory.student(school=school, surname="=HYPERLINK(1)")
    text = client.get("/admin/students/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text


def test_alerts_show_only_when_someone_is_on_them(client, factory, school, dso):
    body = _get(client).get_data(as_text=True)
    assert "Reporting overdue</a>" not in body and "Locked portal accounts</a>" not in body
    student = factory.student(school=school)
    add_obligation(
        factory.session,
        student,
        kind=ObligationKind.ADDRESS_CHANGE,
        due_on=date.today() - timedelta(days=3),
        description="Address",
    )
    user = factory.user(role=Role.STUDENT, student=student)
    user.locked_until = utcnow() + timedelta(minutes=30)
    employer = factory.employer(student, review_status=EmployerReview.WAITING)
    factory.session.flush()
    body = _get(client).get_data(as_text=True)
    assert "Reporting overdue</a>: 1 student" in body
    assert "Locked portal accounts</a>: 1 student" in body
    assert "STEM employers waiting for your review</a>: 1 student" in body
    assert employer.id


def _populate(factory, school, count):
    for number in range(count):
        student = factory.student(school=school)
        if number % 2:
            factory.employer(student)
            factory.user(role=Role.STUDENT, student=student, password=None)


def test_the_list_issues_the_same_number_of_statements_for_10_and_1000_students(
    client, factory, school, dso, count_queries
):
    """Rows per page bound the work, never the school's size (selectinload reads a page in batches of 500)."""
    # The clock stands still: building 1000 students can take over a minute, and the session's once-a-minute
    # last_seen_at write would then count as one more statement.
    with time_machine.travel(utcnow(), tick=False):
        _populate(factory, school, 10)
        with count_queries() as small:
            assert _get(client, per_page=250, no_employer="1").status_code == 200
        _populate(factory, school, 990)
        with count_queries() as large:
            assert _get(client, per_page=250, no_employer="1").status_code == 200
    assert large["count"] == small["count"]


def test_filter_changed_since_and_reported_late(client, factory, school, dso, db_session):
    changed = factory.student(school=school)
    quiet = factory.student(school=school)
    record_event(
        db_session,
        Actor.system(),
        "employer.added",
        student=changed,
        change_kind=ChangeKind.EMPLOYER,
        reported_late=True,
    )
    body = _get(client, changed_since=date.today().isoformat()).get_data(as_text=True)
    assert changed.sevis_id in body and quiet.sevis_id not in body
    body = _get(client, changed_since=(date.today() + timedelta(days=1)).isoformat()).get_data(as_text=True)
    assert changed.sevis_id not in body
    body = _get(client, reported_late="1").get_data(as_text=True)
    assert changed.sevis_id in body and quiet.sevis_id not in body


def test_filter_overdue_and_stem_review(client, factory, school, dso):
    overdue = factory.student(school=school)
    add_obligation(
        factory.session,
        overdue,
        kind=ObligationKind.ADDRESS_CHANGE,
        due_on=date.today() - timedelta(days=1),
        description="Address",
    )
    waiting = factory.student(school=school)
    factory.employer(waiting, review_status=EmployerReview.WAITING)
    body = _get(client, overdue="1").get_data(as_text=True)
    assert overdue.sevis_id in body and waiting.sevis_id not in body
    body = _get(client, stem_review="1").get_data(as_text=True)
    assert waiting.sevis_id in body and overdue.sevis_id not in body


def test_sorting_by_sevis_id_descending(client, factory, school, dso):
    first = factory.student(school=school, sevis_id="N0000000101")
    second = factory.student(school=school, sevis_id="N0000000202")
    body = _get(client, sort="sevis_id", dir="desc").get_data(as_text=True)
    assert body.index(second.sevis_id) < body.index(first.sevis_id)
    body = _get(client, sort="sevis_id").get_data(as_text=True)
    assert body.index(first.sevis_id) < body.index(second.sevis_id)


def test_a_bad_date_is_explained_in_the_swapped_results_too(client, school, dso):
    response = client.get(
        "/admin/students", query_string={"changed_since": "yesterday"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422 and "Enter a date like" in response.get_data(as_text=True)


def _rows(body):
    """The SEVIS IDs of the list's rows, in order."""
    return re.findall(r"<td>(N\d{10})</td>", body)


@pytest.mark.parametrize(
    ("page", "shown", "status"),
    [
        (1, "Showing 1 to 10 of 23 students.", 10),
        (2, "Showing 11 to 20 of 23 students.", 10),
        (3, "Showing 21 to 23 of 23 students.", 3),
        (4, "Showing 21 to 23 of 23 students.", 3),
        (999999, "Showing 21 to 23 of 23 students.", 3),
    ],
)
def test_pages_cover_every_student_once_and_a_page_past_the_end_shows_the_last(
    client, factory, school, dso, page, shown, status
):
    students = [factory.student(school=school, surname=f"Page{number:02d}") for number in range(23)]
    body = _get(client, per_page=10, page=page).get_data(as_text=True)
    assert shown in body
    first = (min(page, 3) - 1) * 10
    assert _rows(body) == [student.sevis_id for student in students[first : first + status]]
    assert ("Next</span>" in body) == (page < 3) and ("Previous</span>" in body) == (page > 1)


def test_a_search_with_no_match_on_a_later_page_says_none_match(client, factory, school, dso):
    factory.student(school=school, surname="Present")
    body = _get(client, q="Absent", page=3).get_data(as_text=True)
    assert "No students match." in body and not _rows(body)


def test_search_pages_hold_the_same_students_in_the_same_order_as_the_export(client, factory, school, dso):
    for number in range(12):
        student = factory.student(school=school, surname=f"Garcia{number % 3}", given_name=f"G{number}")
        factory.employer(student, name=f"Employer {number}")
    factory.employer(factory.student(school=school, surname="Plain"), name="Garcia Holdings")
    factory.student(school=school, surname="Plain", email="x.garcia@example.edu")
    factory.student(school=school, surname="Nobody")
    paged = []
    for page in (1, 2):
        response = _get(client, q="garcia", per_page=10, page=page, sort="email", dir="desc")
        paged += _rows(response.get_data(as_text=True))
    text = client.get("/admin/students/export.csv", query_string={"q": "garcia", "sort": "email", "dir": "desc"})
    exported = [row[0] for row in list(csv.reader(io.StringIO(text.get_data(as_text=True).lstrip("\ufeff"))))[1:]]
    assert paged == exported and len(paged) == 14


def test_a_row_shows_the_latest_opt_the_account_state_and_the_current_employer(client, factory, school, dso):
    stem = factory.student(school=school, surname="Stem")
    factory.stem_opt(stem)
    factory.user(role=Role.STUDENT, student=stem)
    factory.employer(stem, name="Old Co", start_date=date.today() - timedelta(days=20))
    factory.employer(stem, name="New Co", start_date=date.today() - timedelta(days=5))
    factory.employer(stem, name="Same Day Later Co", start_date=date.today() - timedelta(days=20))
    factory.employer(stem, name="Gone Co", start_date=date.today(), deleted_at=utcnow())
    locked = factory.student(school=school, surname="Locked")
    factory.user(role=Role.STUDENT, student=locked).locked_until = utcnow() + timedelta(minutes=30)
    invited = factory.student(school=school, surname="Invited", opt=None)
    factory.user(role=Role.STUDENT, student=invited, password=None)
    factory.student(school=school, surname="Nobody")
    factory.session.flush()
    body = _get(client).get_data(as_text=True)
    rows = {row.split("</a>")[0].rsplit(">", 1)[1]: row for row in body.split("<tr>")[2:]}
    assert "STEM OPT, approved" in rows["Stem, Terry"] and "<td>New Co</td>" in rows["Stem, Terry"]
    assert "<td>Active</td>" in rows["Stem, Terry"]
    assert "<td>Locked</td>" in rows["Locked, Terry"]
    assert "<td>Invitation sent</td>" in rows["Invited, Terry"] and "<td>None</td>" in rows["Invited, Terry"]
    assert "<td>Not created</td>" in rows["Nobody, Terry"] and "<td>No current employer</td>" in rows["Nobody, Terry"]


def test_the_current_employer_among_equal_starts_is_the_latest_reported_on_the_page_and_in_the_export(
    client, factory, school, dso
):
    student = factory.student(school=school)
    start = date.today() - timedelta(days=10)
    factory.employer(student, name="First Co", start_date=start)
    factory.employer(student, name="Second Co", start_date=start)
    page = _get(client).get_data(as_text=True)
    assert "<td>Second Co</td>" in page and "First Co" not in page
    export = client.get("/admin/students/export.csv").get_data(as_text=True)
    assert "Second Co" in export and "First Co" not in export


@pytest.mark.parametrize("args", [{"q": "garcia"}, {"q": "garcia", "page": "99"}, {"account": "created"}])
def test_a_search_issues_the_same_number_of_statements_for_10_and_200_students(
    client, factory, school, dso, count_queries, args
):
    def populate(count):
        for number in range(count):
            student = factory.student(school=school, surname="Garcia" if number % 2 else "Other")
            factory.employer(student, name="Garcia Labs" if number % 3 == 0 else "Initech")
            factory.user(role=Role.STUDENT, student=student)

    populate(10)
    with count_queries() as small:
        assert _get(client, per_page=10, **args).status_code == 200
    populate(190)
    with count_queries() as large:
        assert _get(client, per_page=10, **args).status_code == 200
    assert large["count"] == small["count"]


@pytest.mark.parametrize(
    ("account", "expected"),
    [("created", ["Active"]), ("pending", ["Invited", "Locked", "Nobody"]), ("locked", ["Locked"])],
)
def test_the_export_applies_the_account_filter_like_the_list(client, factory, school, dso, account, expected):
    factory.user(role=Role.STUDENT, student=factory.student(school=school, surname="Active"))
    factory.user(role=Role.STUDENT, student=factory.student(school=school, surname="Invited"), password=None)
    locked = factory.user(role=Role.STUDENT, student=factory.student(school=school, surname="Locked"), password=None)
    locked.locked_until = utcnow() + timedelta(minutes=30)
    factory.student(school=school, surname="Nobody")
    factory.session.flush()
    response = client.get("/admin/students/export.csv", query_string={"account": account})
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))[1:]
    listed = _get(client, account=account).get_data(as_text=True)
    assert response.status_code == 200 and sorted(row[1] for row in rows) == expected
    assert sorted(row[0] for row in rows) == sorted(_rows(listed))
