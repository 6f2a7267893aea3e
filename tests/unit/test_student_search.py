"""The school's students list as a service: matching, and what a row shows."""

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.services.student_search import account_label_from, like_escape, search_students
from portal.services.student_search_terms import parse

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_a_student_matching_in_several_places_is_listed_and_counted_once(factory):
    school = factory.school()
    student = factory.student(school=school, surname="Garcia", given_name="Garcia", email="garcia@example.edu")
    factory.employer(student, name="Garcia Labs")
    factory.employer(student, name="Garcia Works")
    factory.student(surname="Garcia")  # another school's
    page = search_students(factory.session, school.id, parse({"q": "garcia"}))
    assert page.total == 1 and [row.id for row in page.rows] == [student.id]


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
