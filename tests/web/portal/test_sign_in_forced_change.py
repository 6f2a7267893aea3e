"""Rule 12 at sign-in: after an upgrade that forces a new password, the change comes before any page, the sign-in
page says so, and every server enforces it from the very sign-in."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import text

from portal.models import Upgrade, utcnow
from portal.models.enums import Role
from portal.routes import auth
from portal.services.site_state import REFRESH_SECONDS, site_state
from tests.support.factories import PASSWORD
from tests.web.portal.conftest import post_sign_in

NEW_PASSWORD = "violet harbor seventy kites"


def test_forced_change_after_upgrade_comes_first_and_the_sign_in_page_says_so(client, factory, db_session):
    user = factory.user(role=Role.STUDENT)
    user.password_changed_at = utcnow() - timedelta(days=2)
    db_session.add(Upgrade(completed_at=utcnow() - timedelta(days=1), force_password_change=True))
    db_session.flush()
    assert b"you will choose a new password" in client.get("/").data
    post_sign_in(client, user.email, PASSWORD)
    for path in ("/account/security", "/attestation"):
        assert client.get(path).headers["Location"] == "/password/change"
    page = client.get("/password/change")
    assert page.status_code == 200 and b"The portal was upgraded" in page.data
    weak = client.post(
        "/password/change", data={"current_password": PASSWORD, "password": "password12345", "confirm": "password12345"}
    )
    assert weak.status_code == 422 and b"common" in weak.data
    changed = client.post(
        "/password/change", data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert changed.status_code == 303
    assert client.get("/account/security").headers["Location"] == "/attestation"
    assert b"you will choose a new password" not in client.get("/sign-out-page-does-not-exist").data


def test_forced_change_notice_absent_without_a_forcing_upgrade(client, factory):
    factory.user(role=Role.STUDENT)
    assert b"you will choose a new password" not in client.get("/").data


def test_a_forcing_upgrade_on_another_server_reaches_signed_in_students_within_seconds(
    client, factory, sign_in, db_session
):
    user = factory.user(role=Role.STUDENT)
    user.password_changed_at = utcnow() - timedelta(days=2)
    sign_in(user)
    assert client.get("/account/security").status_code == 200
    db_session.execute(
        text("INSERT INTO upgrades (completed_at, force_password_change, note) VALUES (:c, true, '')"),
        {"c": utcnow() - timedelta(days=1)},
    )
    with time_machine.travel(utcnow() + timedelta(seconds=REFRESH_SECONDS)):
        assert client.get("/account/security").headers["Location"] == "/password/change"


def test_a_student_signing_in_just_after_an_upgrade_must_change_the_password_on_any_server(
    client, factory, sign_in, db_session, monkeypatch
):
    """Rule 12 from the very sign-in: a server whose copy of the site state predates the session asks the database."""
    user = factory.user(role=Role.STUDENT)
    user.password_changed_at = utcnow() - timedelta(days=2)
    db_session.flush()
    site_state(db_session)  # this server's copy, read before the upgrade and before the sign-in
    db_session.execute(
        text("INSERT INTO upgrades (completed_at, force_password_change, note) VALUES (:c, true, '')"),
        {"c": utcnow() - timedelta(seconds=1)},
    )  # by the CLI, so the copy is not told
    monkeypatch.setattr(auth, "forget_site_state", lambda: None)  # the sign-in happened on another server

    response = client.post("/", data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 303
    assert client.get("/dashboard").headers["Location"] == "/password/change"
