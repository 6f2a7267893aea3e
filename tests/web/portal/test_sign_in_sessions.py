"""Sessions after sign-in: a new session id, the cookie's flags, signing out (here and everywhere), idle time-outs,
and a session ended by another server."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select, update

from portal.config import Config, DevelopmentConfig
from portal.models import UserSession, utcnow
from portal.models.enums import Role
from tests.support.factories import PASSWORD
from tests.web.portal.conftest import post_sign_in


def test_sign_in_issues_a_new_session_id(client, factory):
    user = factory.user(role=Role.STUDENT)
    with client.session_transaction() as cookie:
        cookie["sid"] = "planted-by-an-attacker"
        cookie["stale"] = "value"
    post_sign_in(client, user.email, PASSWORD)
    with client.session_transaction() as cookie:
        assert cookie["sid"] != "planted-by-an-attacker" and "stale" not in cookie


def test_cookie_is_httponly_and_samesite_lax(client, factory):
    user = factory.user(role=Role.STUDENT)
    cookie = post_sign_in(client, user.email, PASSWORD).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_outside_local_development():
    assert Config.SESSION_COOKIE_SECURE is (Config.ENVIRONMENT != "development")
    assert DevelopmentConfig.SESSION_COOKIE_SECURE is False


def _cookie_sid(client):
    with client.session_transaction() as cookie:
        return cookie.get("sid")


def test_sign_out_ends_the_session_on_the_server(client, factory, sign_in, db_session):
    user = factory.user(role=Role.STUDENT)
    sign_in(user)
    stolen = _cookie_sid(client)
    client.post("/sign-out")
    with client.session_transaction() as cookie:
        cookie["sid"] = stolen  # replaying the old cookie does not work
    assert client.get("/account/security").status_code == 302
    row = db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.ended_reason == "signed_out"


def test_sign_out_everywhere_ends_every_session(app, client, factory, sign_in, db_session):
    user = factory.user(role=Role.STUDENT)
    other_device = app.test_client()
    post_sign_in(other_device, user.email, PASSWORD)
    other_device.post("/attestation", data={"accept": "y"})
    assert other_device.get("/account/security").status_code == 200
    sign_in(user)
    response = client.post("/account/sign-out-everywhere")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert other_device.get("/account/security").status_code == 302
    assert client.get("/account/security").status_code == 302


def test_idle_student_is_signed_out_after_30_minutes_with_a_message(client, factory, sign_in):
    user = factory.user(role=Role.STUDENT)
    sign_in(user)
    with time_machine.travel(utcnow() + timedelta(minutes=29)):
        assert client.get("/account/security").status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=60)):
        assert client.get("/account/security").status_code == 302
        assert b"You were signed out" in client.get("/").data


def test_idle_official_is_signed_out_after_15_minutes(client, factory, sign_in):
    sign_in(factory.user(role=Role.DSO))
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        assert client.get("/account/security").status_code == 302


def test_a_session_ended_by_another_server_stops_working_on_the_next_request(client, factory, sign_in, db_session):
    """Sessions are never kept in the process: the row decides on every request, whoever ended it."""
    user = factory.user(role=Role.STUDENT)
    sign_in(user)
    assert client.get("/account/security").status_code == 200
    db_session.execute(
        update(UserSession).where(UserSession.user_id == user.id).values(ended_at=utcnow(), ended_reason="signed_out")
    )
    assert client.get("/account/security").status_code == 302
