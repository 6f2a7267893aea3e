"""Overload without collapse (issue 16): when every hashing slot stays taken, a sign-in or a forced password change
is refused whole with a 503, Retry-After and plain words, having written nothing; once a slot is free it succeeds."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models import Event, PasswordHistory, SignInThrottle, Upgrade, UserSession, utcnow
from portal.models.enums import LinkPurpose, Role
from portal.services.passwords import verify_password
from portal.services.reset_requests import answer_reset_requests
from portal.services.upgrades import must_change_password
from tests.support.factories import PASSWORD, latest_link_token
from tests.support.hashing import hash_in_flight
from tests.web.conftest import HX
from tests.web.portal.conftest import post_sign_in

NEW_PASSWORD = "violet harbor seventy kites"
BUSY_WORDS = b"Many students are signing in; try again in 7 seconds."


@pytest.fixture
def one_slot(app, monkeypatch):
    """One hashing slot, no wait for it, and 7 seconds to wait before trying again."""
    monkeypatch.setitem(app.config, "ARGON2_MAX_CONCURRENT", 1)
    monkeypatch.setitem(app.config, "ARGON2_QUEUE_TIMEOUT", 0)
    monkeypatch.setitem(app.config, "ARGON2_RETRY_AFTER", 7)


def _count(db_session, model, *where) -> int:
    return db_session.scalar(select(func.count()).select_from(model).where(*where))


def _assert_busy(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert BUSY_WORDS in response.data


def test_a_sign_in_finding_every_slot_taken_gets_503_and_starts_no_session(app, client, factory, db_session, one_slot):
    user = factory.user(role=Role.STUDENT)
    db_session.commit()  # what the refused request rolls back is only its own work
    stored_hash = user.password_hash
    with hash_in_flight(app):
        page = post_sign_in(client, user.email, PASSWORD)
        fragment = post_sign_in(client, user.email, PASSWORD, headers=HX)
    _assert_busy(page)
    assert b"<h1>Many students are signing in</h1>" in page.data and b'class="usa-header' in page.data
    assert b'href="/"' in page.data  # back to the form
    _assert_busy(fragment)
    assert b'role="alert"' in fragment.data and b"<html" not in fragment.data
    assert _count(db_session, UserSession, UserSession.user_id == user.id) == 0
    assert _count(db_session, SignInThrottle) == 0 and _count(db_session, Event, Event.user_id == user.id) == 0
    assert user.password_hash == stored_hash and user.failed_sign_ins == 0
    signed_in = post_sign_in(client, user.email, PASSWORD)  # the slot is free again
    assert signed_in.status_code == 303
    assert _count(db_session, UserSession, UserSession.user_id == user.id) == 1


def test_when_busy_known_unknown_and_paused_addresses_get_the_same_answer(app, client, factory, db_session, one_slot):
    known, paused = factory.user(role=Role.STUDENT), factory.user(role=Role.STUDENT)
    for _ in range(5):
        post_sign_in(client, paused.email, "not the right password")
    assert paused.locked_until is not None
    answers = {}
    with hash_in_flight(app):
        for name, address, password in [
            ("known", known.email, PASSWORD),
            ("unknown", "nobody.here@example.edu", PASSWORD),
            ("paused, the right password", paused.email, PASSWORD),
        ]:
            response = post_sign_in(client, address, password)
            body = re.sub(rb'(nonce|value)="[^"]*"', rb'\1=""', response.data)
            answers[name] = (response.status_code, response.headers["Retry-After"], body)
    assert answers["known"] == answers["unknown"] == answers["paused, the right password"]
    assert answers["known"][0] == 503


def test_a_forced_change_refused_as_busy_keeps_the_old_password_and_the_flag(
    app, client, factory, db_session, one_slot
):
    user = factory.user(role=Role.STUDENT)
    user.password_changed_at = utcnow() - timedelta(days=2)
    db_session.add(Upgrade(completed_at=utcnow() - timedelta(days=1), force_password_change=True))
    assert post_sign_in(client, user.email, PASSWORD).status_code == 303  # commits the setup with the session
    form = {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    with hash_in_flight(app):
        refused = client.post("/password/change", data=form)
    _assert_busy(refused)
    assert b'href="/password/change"' in refused.data
    db_session.expire_all()
    assert verify_password(user.password_hash, PASSWORD) and must_change_password(db_session, user)
    assert _count(db_session, PasswordHistory, PasswordHistory.user_id == user.id) == 0
    assert _count(db_session, Event, Event.user_id == user.id, Event.event_type == "password.changed") == 0
    assert _count(db_session, UserSession, UserSession.user_id == user.id, UserSession.ended_at.is_(None)) == 1
    assert client.get("/dashboard").headers["Location"] == "/password/change"  # still signed in, still asked
    changed = client.post("/password/change", data=form)
    assert changed.status_code == 303
    db_session.expire_all()
    assert verify_password(user.password_hash, NEW_PASSWORD) and not must_change_password(db_session, user)


def test_the_forced_change_refuses_the_current_password_on_its_field(client, factory, db_session):
    user = factory.user(role=Role.STUDENT)
    user.password_changed_at = utcnow() - timedelta(days=2)
    db_session.add(Upgrade(completed_at=utcnow() - timedelta(days=1), force_password_change=True))
    post_sign_in(client, user.email, PASSWORD)
    same = client.post(
        "/password/change", data={"current_password": PASSWORD, "password": PASSWORD, "confirm": PASSWORD}
    )
    assert same.status_code == 422
    assert re.search(rb'class="usa-error-message"[^>]*>\s*This is your current password', same.data)
    assert must_change_password(db_session, user)


def test_a_reset_refused_as_busy_leaves_the_link_unspent_and_the_old_password(
    app, client, factory, db_session, one_slot
):
    user = factory.user(role=Role.STUDENT)
    client.post("/password/reset", data={"email": user.email})
    answer_reset_requests(db_session)  # the worker's part
    db_session.commit()  # what the refused request rolls back is only its own work
    token = latest_link_token(db_session, user, LinkPurpose.PASSWORD_RESET)
    form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    with hash_in_flight(app):
        refused = client.post(f"/password/reset/{token}", data=form)
    _assert_busy(refused)
    db_session.expire_all()
    assert verify_password(user.password_hash, PASSWORD)
    assert client.get(f"/password/reset/{token}").status_code == 200  # the link still works
    assert client.post(f"/password/reset/{token}", data=form).status_code == 303
    db_session.expire_all()
    assert verify_password(user.password_hash, NEW_PASSWORD)
