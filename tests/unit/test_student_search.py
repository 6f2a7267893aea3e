"""The school's students list as a service: reading the query, matching, and what a row shows."""

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.models.enums import OptKind
from portal.services.student_search import account_label_from, like_escape, parse, search_students

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_a_student_matching_in_several_places_is_listed_and_counted_once(factory):
    school = factory.school()
    student = factory.student(school=school, surname="Garcia", given_name="Garcia", email="garcia@example.edu")
    factory.employer(student, name="Garcia Labs")
    factory.employer(student, name="Garcia Works")
    factory.student(surname="Garcia")  # another school's
    page = search_students(factory.session, school.id, parse({"q": "garcia"}))
    assert page.total == 1 and [row.id for row in page.rows] == [student.id]


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"q": "x" * 201}, "q", "at most 200 characters"),
        ({"q": "a\x00b"}, "q", "at most 200 characters"),
        ({"opt_kind": "<script>"}, "opt_kind", "Choose one of the listed values."),
        ({"opt_status": "maybe"}, "opt_status", "Choose one of the listed values."),
        ({"account": "everyone"}, "account", "Choose one of the listed values."),
        ({"changed_since": "31/31/2026"}, "changed_since", "Enter a date like 2026-03-31."),
    ],
)
def test_bad_arguments_become_a_message_on_their_field_never_an_exception(args, field, message):
    query = parse(args)
    assert list(query.errors) == [field] and message in query.errors[field]


@pytest.mark.parametrize(
    ("args", "sort", "per_page", "page"),
    [
        ({}, "name", 25, 1),
        ({"sort": "sevis_id", "per_page": "1000", "page": "3"}, "sevis_id", 1000, 3),
        ({"sort": "drop table", "per_page": "7", "page": "-4"}, "name", 25, 1),
        ({"per_page": "ten", "page": "x"}, "name", 25, 1),
        ({"page": "99999999999"}, "name", 25, 1_000_000),
    ],
)
def test_sort_page_size_and_page_fall_back_to_defaults_or_bounds(args, sort, per_page, page):
    query = parse(args)
    assert (query.sort, query.per_page, query.page, query.errors) == (sort, per_page, page, {})


def test_the_query_round_trips_through_its_url_arguments():
    query = parse(
        {
            "q": "Zhang",
            "opt_kind": OptKind.STEM.value,
            "no_employer": "1",
            "changed_since": "2026-03-31",
            "sort": "email",
            "dir": "desc",
            "per_page": "100",
            "page": "2",
        }
    )
    assert parse(query.as_args()).as_args() == query.as_args()
    assert query.as_args(page=None) == {key: value for key, value in query.as_args().items() if key != "page"}


@pytest.mark.parametrize(("text", "escaped"), [("50%", "50\\%"), ("a_b", "a\\_b"), ("back\\slash", "back\\\\slash")])
def test_like_wildcards_are_escaped(text, escaped):
    assert like_escape(text) == escaped


@pytest.mark.parametrize(
    ("has_user", "locked_until", "has_password", "label"),
    [
        (False, None, False, "Not created"),
        (True, None, False, "Invitation sent"),
        (True, None, True, "Active"),
        (True, NOW + timedelta(minutes=5), True, "Locked"),
        (True, (NOW + timedelta(minutes=5)).replace(tzinfo=None), True, "Locked"),  # SQLite gives naive UTC
        (True, NOW - timedelta(minutes=5), True, "Active"),
        (True, NOW - timedelta(minutes=5), False, "Invitation sent"),
    ],
)
def test_the_account_label_a_row_shows(has_user, locked_until, has_password, label):
    assert account_label_from(has_user, locked_until, has_password, NOW) == label


def test_a_page_past_the_last_shows_the_last_page(factory):
    school = factory.school()
    students = [factory.student(school=school, surname=f"Paged{n:02d}") for n in range(12)]
    page = search_students(factory.session, school.id, parse({"per_page": "10", "page": "9"}), today=date.today())
    assert (page.query.page, page.total, page.first, page.last, page.pages) == (2, 12, 11, 12, 2)
    assert [row.id for row in page.rows] == [student.id for student in students[10:]]
