"""Two-step verification at sign-in: officials enrol at the first sign-in, codes and recovery codes, the lock after
five wrong codes, a secret the keys cannot open, and a setup page whose GET never makes a key."""

from __future__ import annotations

import pyotp
import pytest
from cryptography.fernet import Fernet

from portal.models import utcnow
from portal.models.enums import Role
from portal.services import mfa
from tests.support.factories import MFA_TEST_SECRET, PASSWORD
from tests.web.portal.conftest import post_sign_in


@pytest.mark.parametrize("role", [Role.DSO, Role.PRINCIPAL_DSO, Role.SUPPORT, Role.OPERATOR])
def test_officials_enrol_in_mfa_at_first_sign_in(client, factory, db_session, role):
    user = factory.user(role=role)
    post_sign_in(client, user.email, PASSWORD)
    assert client.get("/account/security").headers["Location"] == "/mfa/setup"
    start = client.get("/mfa/setup")
    assert start.status_code == 200 and b"<svg" not in start.data and b'action="/mfa/setup/start"' in start.data
    assert client.post("/mfa/setup/start").headers["Location"] == "/mfa/setup"
    page = client.get("/mfa/setup")
    assert page.status_code == 200 and b"<svg" in page.data and page.headers["Cache-Control"] == "no-store"
    assert client.post("/mfa/setup", data={"code": "12345x"}).status_code == 422
    done = client.post("/mfa/setup", data={"code": pyotp.TOTP(mfa.secret_of(user)).now()})
    assert done.status_code == 200 and done.data.count(b"<li><code>") == 10
    assert client.get("/account/security").status_code == 200
    assert mfa.mfa_enabled(user)


def test_official_with_mfa_must_verify_and_a_recovery_code_works(client, factory, db_session):
    user = factory.user(role=Role.DSO)
    secret = mfa.start_enrolment(db_session, user)
    codes = mfa.confirm_enrolment(db_session, user, pyotp.TOTP(secret).now())
    post_sign_in(client, user.email, PASSWORD)
    assert client.get("/account/security").headers["Location"] == "/mfa/verify"
    wrong = client.post("/mfa/verify", data={"code": "999999x"})
    assert wrong.status_code == 422 and b"not right" in wrong.data
    assert client.post("/mfa/verify", data={"code": codes[3]}).status_code == 303
    assert client.get("/account/security").status_code == 200


def test_student_can_turn_on_mfa_and_is_then_asked_for_a_code(client, factory, sign_in, db_session):
    user = factory.user(role=Role.STUDENT)
    sign_in(user)
    assert b"Turn on two-step verification" in client.get("/account/security").data
    client.post("/mfa/setup/start")
    client.post("/mfa/setup", data={"code": pyotp.TOTP(mfa.secret_of(user)).now()})
    client.post("/sign-out")
    post_sign_in(client, user.email, PASSWORD)
    assert client.get("/account/security").headers["Location"] == "/mfa/verify"


def test_known_mfa_secret_of_the_fixture_signs_officials_in(factory, sign_in, client):
    user = factory.user(role=Role.SUPPORT)
    sign_in(user)
    assert mfa.secret_of(user) == MFA_TEST_SECRET
    assert client.get("/account/security").status_code == 200


def test_five_wrong_mfa_codes_lock_the_account_and_end_the_session(client, factory, sign_in, db_session):
    user = factory.user(role=Role.DSO)
    mfa.store_secret(db_session, user, MFA_TEST_SECRET)
    user.mfa_enabled_at = utcnow()
    post_sign_in(client, user.email, PASSWORD)
    for _ in range(4):
        assert client.post("/mfa/verify", data={"code": "000000x"}).status_code == 422
    locked = client.post("/mfa/verify", data={"code": "000000x"})
    assert locked.status_code == 303 and locked.headers["Location"] == "/"
    assert b"Too many wrong codes" in client.get("/").data
    assert client.get("/account/security").status_code == 302
    assert user.locked_until is not None


def test_a_secret_the_keys_cannot_open_gets_a_clear_503_not_a_500_and_counts_no_failure(
    app, client, factory, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", Fernet.generate_key().decode())
    user = factory.user(role=Role.DSO)
    secret = mfa.start_enrolment(db_session, user)
    codes = mfa.confirm_enrolment(db_session, user, pyotp.TOTP(secret).now())
    user.mfa_last_step = None
    post_sign_in(client, user.email, PASSWORD)
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", Fernet.generate_key().decode())  # the old key is gone
    response = client.post("/mfa/verify", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 503
    assert b"fault on our side" in response.data and b"recovery codes" in response.data
    assert user.failed_sign_ins == 0
    assert client.get("/account/security").headers["Location"] == "/mfa/verify"  # still not through the second step
    assert client.post("/mfa/verify", data={"code": codes[0]}).status_code == 303
    assert client.get("/account/security").status_code == 200


def test_setup_replaces_a_pending_secret_the_keys_cannot_open(app, client, factory, db_session, monkeypatch):
    user = factory.user(role=Role.SUPPORT)
    post_sign_in(client, user.email, PASSWORD)
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", Fernet.generate_key().decode())
    client.post("/mfa/setup/start")
    assert b"<svg" in client.get("/mfa/setup").data
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", Fernet.generate_key().decode())
    unreadable = user.mfa_secret_encrypted
    page = client.get("/mfa/setup")  # the page offers a new start; the GET itself replaces nothing
    assert b'action="/mfa/setup/start"' in page.data and b"<svg" not in page.data
    db_session.refresh(user)
    assert user.mfa_secret_encrypted == unreadable
    refused = client.post("/mfa/setup", data={"code": "123456"})
    assert refused.status_code == 422 and b"Setup has to start again" in refused.data
    done = client.post("/mfa/setup", data={"code": pyotp.TOTP(mfa.secret_of(user)).now()})
    assert done.status_code == 200 and mfa.mfa_enabled(user)


def test_a_get_of_mfa_setup_never_makes_or_changes_the_key_and_only_a_post_does(client, factory, db_session):
    user = factory.user(role=Role.DSO)  # the setup is this official's pending step: the restart must be open too
    post_sign_in(client, user.email, PASSWORD)
    for url in ("/mfa/setup", "/mfa/setup?restart=1"):
        page = client.get(url).get_data(as_text=True)
        assert 'action="/mfa/setup/start"' in page and "Start setup" in page and "<svg" not in page
        db_session.refresh(user)
        assert user.mfa_secret_encrypted is None, url  # the first visit makes no key
    assert client.get("/mfa/setup/start").status_code == 405
    assert client.post("/mfa/setup/start").headers["Location"] == "/mfa/setup"
    db_session.refresh(user)
    first = mfa.secret_of(user)
    client.post("/mfa/setup/start")  # a second press (a double click, the back button) keeps the key just scanned
    db_session.refresh(user)
    assert first is not None and mfa.secret_of(user) == first
    for url in ("/mfa/setup?restart=1", "/mfa/setup?restart=true", "/mfa/setup"):
        assert client.get(url).status_code == 200
        db_session.refresh(user)
        assert mfa.secret_of(user) == first, url
    assert client.get("/mfa/setup/restart").status_code == 405
    page = client.get("/mfa/setup").get_data(as_text=True)
    assert 'action="/mfa/setup/restart"' in page and "Start again with a new key" in page
    response = client.post("/mfa/setup/restart")
    assert response.status_code == 303 and response.headers["Location"] == "/mfa/setup"
    db_session.refresh(user)
    second = mfa.secret_of(user)
    assert second != first and second in client.get("/mfa/setup").get_data(as_text=True)
    assert client.post("/mfa/setup", data={"code": pyotp.TOTP(second).now()}).status_code == 200
