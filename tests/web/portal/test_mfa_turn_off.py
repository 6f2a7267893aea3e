"""A student turns two-step verification off from Sign-in and security: a confirmation dialog (htmx) or page (plain
form), the current password and a code; officials cannot, because they must use it."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from portal.models import Event, OutboxEmail
from portal.models.enums import Role
from portal.services import mfa
from tests.support.factories import PASSWORD
from tests.web.conftest import HX

URL = "/account/mfa/turn-off"


@pytest.fixture
def enrolled_student(factory, db_session, sign_in):
    user = factory.user(role=Role.STUDENT)
    secret = mfa.start_enrolment(db_session, user)
    codes = mfa.confirm_enrolment(db_session, user, pyotp.TOTP(secret).now())
    sign_in(user)
    user.mfa_last_step = None  # the sign-in used this 30-second code; let the test use it once more
    return user, codes


def _templates(db_session, user):
    return db_session.scalars(select(OutboxEmail.template).where(OutboxEmail.user_id == user.id)).all()


def test_the_security_page_offers_it_to_a_student_with_mfa_on(client, enrolled_student):
    page = client.get("/account/security")
    assert page.status_code == 200 and b'id="mfa-turn-off"' in page.data and f'href="{URL}"'.encode() in page.data


def test_officials_are_told_it_cannot_be_turned_off_and_the_action_is_refused(client, factory, sign_in):
    sign_in(factory.user(role=Role.DSO))
    page = client.get("/account/security")
    assert b"cannot be turned off" in page.data and b'id="mfa-turn-off"' not in page.data
    assert client.get(URL).status_code == 403
    assert client.post(URL, data={"current_password": PASSWORD, "code": "123456"}).status_code == 403


def test_the_confirmation_is_a_page_without_javascript_and_a_dialog_for_htmx(client, enrolled_student):
    page = client.get(URL)
    assert page.status_code == 200 and b"<html" in page.data and b"Turn off two-step verification?" in page.data
    dialog = client.get(URL, headers=HX)
    assert dialog.status_code == 200 and b"<html" not in dialog.data and b'role="dialog"' in dialog.data
    for expected in (
        b'autocomplete="current-password"',
        b'autocomplete="one-time-code"',
        b'aria-labelledby="confirm-heading"',
        b'hx-post="/account/mfa/turn-off"',
        b'href="/account/security" data-dismiss',
    ):
        assert expected in dialog.data


def test_a_plain_post_turns_it_off_signs_out_other_devices_and_emails_a_notice(
    app, client, enrolled_student, db_session
):
    user, _ = enrolled_student
    other_device = app.test_client()
    other_device.post("/", data={"email": user.email, "password": PASSWORD})
    done = client.post(URL, data={"current_password": PASSWORD, "code": pyotp.TOTP(mfa.secret_of(user)).now()})
    assert done.status_code == 303 and done.headers["Location"] == "/account/security"
    page = client.get("/account/security")
    assert b"Two-step verification is off" in page.data and b"Turn on two-step verification" in page.data
    assert other_device.get("/account/security").status_code == 302  # signed out there
    assert "mfa_turned_off" in _templates(db_session, user)
    assert db_session.scalar(select(Event).where(Event.user_id == user.id, Event.event_type == "mfa.turned_off"))


def test_htmx_success_goes_back_to_the_security_page(client, enrolled_student):
    _, codes = enrolled_student
    done = client.post(URL, data={"current_password": PASSWORD, "code": codes[0]}, headers=HX)
    assert done.status_code == 204 and done.headers["HX-Redirect"] == "/account/security"


def test_a_wrong_password_is_shown_in_the_dialog_and_counts_as_a_failure(client, enrolled_student, db_session):
    user, codes = enrolled_student
    refused = client.post(URL, data={"current_password": "not my password at all", "code": codes[0]}, headers=HX)
    assert refused.status_code == 422 and b"<html" not in refused.data and b"not your current password" in refused.data
    failures = db_session.scalars(
        select(Event.id).where(Event.user_id == user.id, Event.event_type == "sign_in.failed")
    ).all()
    assert len(failures) == 1 and mfa.mfa_enabled(user) and mfa.recovery_codes_left(db_session, user) == 10


def test_five_wrong_tries_lock_the_account_and_sign_out(client, enrolled_student):
    user, _ = enrolled_student
    for _ in range(4):
        assert client.post(URL, data={"current_password": PASSWORD, "code": "000000x"}).status_code == 422
    locked = client.post(URL, data={"current_password": PASSWORD, "code": "000000x"})
    assert locked.status_code == 303 and locked.headers["Location"] == "/"
    assert b"Too many wrong tries" in client.get("/").data and user.locked_until is not None and mfa.mfa_enabled(user)


def test_empty_fields_get_form_errors_not_a_500(client, enrolled_student):
    response = client.post(URL, data={"current_password": "", "code": "x" * 5000})
    assert response.status_code == 422 and b"Enter your current password" in response.data
