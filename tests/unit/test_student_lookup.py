"""Support's look-up across every school."""

import pytest

from portal.services.student_lookup import LOOK_UP_MIN, look_up_students


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("x", f"at least {LOOK_UP_MIN} characters"),
        ("x" * 201, "at most 200 characters"),
        ("ab\x07c", "at most 200 characters"),
    ],
)
def test_a_look_up_too_short_too_long_or_with_control_characters_gets_a_message_and_no_students(
    db_session, raw, message
):
    found = look_up_students(db_session, raw)
    assert message in found.error and found.students == [] and not found.more


def test_nothing_asked_is_no_message_and_no_students(db_session):
    assert look_up_students(db_session, "   ").__dict__ == {"q": "", "students": [], "more": False, "error": None}


@pytest.mark.parametrize("raw", ["lookfar", "LOOKFAR", "ana look", "far@example", "N00777"])
def test_finds_a_student_of_any_school_by_name_email_or_the_start_of_a_sevis_id(factory, db_session, raw):
    student = factory.student(
        surname="Lookfar", given_name="Ana", email="ana.lookfar@example.edu", sevis_id="N0077712345"
    )
    factory.student(surname="Decoy")
    found = look_up_students(db_session, raw)
    assert found.students == [student] and found.error is None and found.students[0].school is not None


def test_wildcards_are_characters(factory, db_session):
    factory.student(surname="Percent")
    assert look_up_students(db_session, "%%").students == []


def test_the_look_up_is_capped_by_name_and_says_there_are_more(factory, db_session):
    students = [factory.student(surname=f"Capped{n}") for n in (3, 1, 2, 0)]
    found = look_up_students(db_session, "capped", limit=3)
    assert [student.surname for student in found.students] == ["Capped0", "Capped1", "Capped2"] and found.more
    assert not look_up_students(db_session, "capped", limit=4).more and len(students) == 4
