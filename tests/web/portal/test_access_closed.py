"""DESIGN rule 5: once a student's portal access closes, sign-in, links and every student page answer with the
closed page (why, and whom to ask), never data; a wrong password still learns nothing."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.models import Event
from portal.models.enums import LinkPurpose, Role
from portal.services.account_links import issue_link, link_token
from portal.services.clock import EASTERN
from tests.support.factories import PASSWORD
from tests.web.portal.conftest import at

# OPT ends December 31, 2024: read-only until June 30, 2025, closed from July 1, 2025.
OPT_START, OPT_END = date(2024, 1, 1), date(2024, 12, 31)
LAST_READ_DAY, CLOSED_DAY = date(2025, 6, 30), date(2025, 7, 1)
REASON = "Your portal access ended on June 30, 2025, six months after your OPT ended on December 31, 2024."
STUDENT_PATHS = ["/dashboard", "/employers", "/contact", "/history", "/history/emails", "/documents", "/problems"]


def _closed_student(factory):
    student = factory.student(opt_start=OPT_START, opt_end=OPT_END, today=LAST_READ_DAY, surname="Closed")
    user = factory.user(role=Role.STUDENT, student=student)
    principal = factory.user(role=Role.PRINCIPAL_DSO, school=student.school, email="pat.principal@example.edu")
    dso = factory.user(role=Role.DSO, school=student.school, email="dee.dso@example.edu")
    return student, user, (principal, dso)


def _post_sign_in(client, email, password, **kwargs):
    return client.post("/", data={"email": email, "password": password}, **kwargs)


def _assert_closed_page(response, student, officials):
    body = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Your portal account is closed" in body and REASON in body
    assert student.school.name in body
    for official in officials:
        assert official.display_name in body and f"mailto:{official.email}" in body
    assert student.sevis_id not in body and "Acme" not in body  # no data


@pytest.mark.parametrize(("day", "signs_in"), [(LAST_READ_DAY, True), (CLOSED_DAY, False)])
def test_sign_in_is_refused_with_the_closed_page_from_the_day_access_closes(client, factory, db_session, day, signs_in):
    with at(day):
        student, user, officials = _closed_student(factory)
        response = _post_sign_in(client, user.email, PASSWORD)
        if signs_in:
            assert response.status_code == 303 and response.headers["Location"] == "/dashboard"
            return
        _assert_closed_page(response, student, officials)
        assert client.get("/dashboard").status_code in (302, 303)  # no session was opened
        refused = db_session.scalars(
            select(Event).where(Event.student_id == student.id, Event.event_type == "sign_in.refused")
        ).all()
        assert len(refused) == 1


def test_a_wrong_password_for_a_closed_student_gets_the_generic_message(client, factory):
    with at(CLOSED_DAY):
        student, user, _officials = _closed_student(factory)
        wrong = _post_sign_in(client, user.email, "not the password at all")
        unknown = _post_sign_in(client, "nobody@example.edu", "not the password at all")
    body = wrong.get_data(as_text=True)
    assert wrong.status_code == unknown.status_code == 422
    assert "The email address or password is not right" in body
    assert "closed" not in body.lower() and student.school.name not in body and REASON not in body


def test_a_school_without_officials_still_says_whom_to_ask(client, factory, db_session):
    with at(CLOSED_DAY):
        student = factory.student(opt_start=OPT_START, opt_end=OPT_END, today=LAST_READ_DAY)
        user = factory.user(role=Role.STUDENT, student=student)
        body = _post_sign_in(client, user.email, PASSWORD).get_data(as_text=True)
    block = body[body.index('id="office-contact"') :]
    assert student.school.name in block and "international student office" in block


def test_a_signed_in_student_gets_the_closed_page_when_access_closes_at_midnight(client, factory, sign_in):
    with at(LAST_READ_DAY, 23, 50) as traveller:
        student, user, officials = _closed_student(factory)
        factory.employer(student, name="Acme Analytics LLC")
        sign_in(user)
        assert client.get("/employers").status_code == 200
        traveller.move_to(datetime(2025, 7, 1, 0, 5, tzinfo=EASTERN))  # 15 minutes later: the session is still live
        for path in STUDENT_PATHS:
            _assert_closed_page(client.get(path), student, officials)
        htmx = client.get("/employers", headers={"HX-Request": "true"})
        assert htmx.status_code == 403 and htmx.headers["HX-Redirect"] == "/dashboard"
        posted = client.post("/contact/phone", data={"phone": "6175550100"})
        assert posted.status_code == 403  # no change either


@pytest.mark.parametrize(
    ("purpose", "path"),
    [(LinkPurpose.PASSWORD_RESET, "/password/reset/"), (LinkPurpose.ACCOUNT_CREATION, "/account/create/")],
)
def test_reset_and_creation_links_land_on_the_closed_page(client, factory, db_session, purpose, path):
    with at(CLOSED_DAY):
        student, user, officials = _closed_student(factory)
        token = link_token(issue_link(db_session, user, purpose))
        _assert_closed_page(client.get(path + token), student, officials)
        posted = client.post(
            path + token,
            data={
                "password": "a brand new long password",
                "confirm": "a brand new long password",
                "sevis_id": student.sevis_id,
            },
        )
        _assert_closed_page(posted, student, officials)
        assert _post_sign_in(client, user.email, "a brand new long password").status_code == 422  # unchanged


def test_the_closed_page_is_not_shown_while_read_only(client, factory, sign_in):
    with at(LAST_READ_DAY - timedelta(days=30)):
        student, user, _officials = _closed_student(factory)
        sign_in(user)
        response = client.get("/dashboard")
    assert response.status_code == 200 and 'id="read-only-notice"' in response.get_data(as_text=True)
