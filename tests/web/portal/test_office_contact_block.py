"""Issue 13, "a DSO to call": every page that tells a student to contact their DSO shows how (one block); a page
without sign-in shows the school's details only once the school is known (a closed account after the right password,
a lockout that ended a signed-in session), a generic line otherwise, and never says whether an address has an account.
"""

from datetime import date, datetime

import pyotp
import pytest
import time_machine

from portal.models.enums import Role
from portal.services import mfa
from portal.services.clock import EASTERN
from tests.support.factories import PASSWORD

OFFICE = {
    "office_name": "Global Programs Office",
    "office_email": "global@example.edu",
    "office_phone": "6175550142",
    "office_hours": "Weekdays 9 to 5",
    "office_address": "1 College Road\nSuite 4",
}


def _with_office(school, db_session):
    for name, value in OFFICE.items():
        setattr(school, name, value)
    db_session.flush()
    return school


def _block(body: str) -> str:
    assert body.count('id="office-contact"') == 1, "one block per page"
    return body[body.index('id="office-contact"') :]


def _assert_details(body: str) -> None:
    block = _block(body)
    for words in (
        "Global Programs Office",
        "mailto:global@example.edu",
        "(617) 555-0142",
        'href="tel:+16175550142"',
        "Weekdays 9 to 5",
        "1 College Road<br>Suite 4",
    ):
        assert words in block


@pytest.mark.parametrize("path", ["/dashboard", "/problems"])
def test_student_pages_that_say_contact_your_dso_show_the_office(client, student, signed_in, db_session, path):
    _with_office(student.school, db_session)
    _assert_details(client.get(path).get_data(as_text=True))


def test_a_school_without_details_gets_a_plain_line_not_empty_labels(client, student, signed_in):
    block = _block(client.get("/dashboard").get_data(as_text=True))
    assert student.school.name in block and "has not put its contact details in the portal yet" in block
    assert "Email:" not in block and "Phone:" not in block


def test_a_read_only_student_sees_the_office_under_their_employers(client, factory, sign_in, db_session):
    student = factory.student(opt_start=date(2024, 1, 1), opt_end=date(2024, 12, 31), today=date(2025, 3, 1))
    _with_office(student.school, db_session)
    user = factory.user(role=Role.STUDENT, student=student)
    with time_machine.travel(datetime(2025, 3, 1, 12, tzinfo=EASTERN), tick=False):
        sign_in(user)
        body = client.get("/employers").get_data(as_text=True)
    assert "contact your DSO" in body
    _assert_details(body)


def test_the_closed_page_shows_the_office_once_the_password_is_right(client, factory, db_session):
    student = factory.student(opt_start=date(2024, 1, 1), opt_end=date(2024, 12, 31), today=date(2025, 6, 30))
    _with_office(student.school, db_session)
    user = factory.user(role=Role.STUDENT, student=student)
    with time_machine.travel(datetime(2025, 7, 1, 12, tzinfo=EASTERN), tick=False):
        closed = client.post("/", data={"email": user.email, "password": PASSWORD})
        wrong = client.post("/", data={"email": user.email, "password": PASSWORD + "x"})
        unknown = client.post("/", data={"email": "nobody@example.com", "password": PASSWORD + "x"})
    assert closed.status_code == 403
    _assert_details(closed.get_data(as_text=True))
    # A wrong password learns nothing: the same answer as for an address with no account, without the school's office.
    assert wrong.status_code == unknown.status_code == 422
    assert wrong.get_data(as_text=True) == unknown.get_data(as_text=True).replace("nobody@example.com", user.email)
    assert "global@example.edu" not in wrong.get_data(as_text=True) and 'id="office-contact"' not in wrong.get_data(
        as_text=True
    )


def test_the_reset_page_sends_a_locked_out_student_to_their_dso_not_to_report_a_problem(client):
    body = client.post("/password/reset", data={"email": "someone@example.com"}).get_data(as_text=True)
    assert "Report a problem" not in body
    assert "can unlock or reset your account" in body and "international student office" in body


@pytest.fixture
def enrolled_student(factory, db_session, sign_in):
    user = factory.user(role=Role.STUDENT)
    _with_office(user.student.school, db_session)
    secret = mfa.start_enrolment(db_session, user)
    mfa.confirm_enrolment(db_session, user, pyotp.TOTP(secret).now())
    sign_in(user)
    return user


def test_a_lockout_that_signs_a_student_out_shows_their_office_once(client, enrolled_student):
    for _ in range(5):
        answer = client.post("/account/mfa/turn-off", data={"current_password": PASSWORD, "code": "000000x"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Too many wrong tries" in page and "Report a problem" not in page
    _assert_details(page)
    assert 'id="office-contact"' not in client.get("/").get_data(as_text=True)
