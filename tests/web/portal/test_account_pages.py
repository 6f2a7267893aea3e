"""Account creation from the email, self-service reset, and bad input on every account form."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import unquote

import pyotp
import pytest
import time_machine
from flask import g
from sqlalchemy import func, select

from portal import create_app
from portal.config import TestConfig
from portal.extensions import limiter
from portal.mail.outbox import resolve_link
from portal.models import OutboxEmail, PasswordResetRequest, utcnow
from portal.models.enums import LinkPurpose, Role
from portal.services import mfa
from portal.services.accounts import create_account_for_approved_opt
from portal.services.actors import Actor
from portal.services.reset_requests import answer_password_reset, answer_reset_requests
from tests.support.factories import PASSWORD, latest_link_token
from tests.web.conftest import HX

NEW_PASSWORD = "violet harbor seventy kites"


def _creation_path(db_session, student):
    user = create_account_for_approved_opt(db_session, student, actor=Actor.system())
    email = db_session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == user.id)).one()
    return user, resolve_link(db_session, email).split("://", 1)[1].split("/", 1)[1]


def test_from_the_creation_email_to_a_signed_in_dashboard(client, factory, db_session):
    student = factory.student()
    user, path = _creation_path(db_session, student)
    page = client.get("/" + path)
    assert page.status_code == 200 and b"Confirm your SEVIS ID" in page.data
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    wrong = client.post("/" + path, data={"sevis_id": "N0000000000", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert wrong.status_code == 422 and b"2 tries left" in wrong.data
    done = client.post(
        "/" + path, data={"sevis_id": student.sevis_id, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert b"Your account is ready" in client.get("/").data
    signed_in = client.post("/", data={"email": user.email, "password": NEW_PASSWORD})
    assert signed_in.headers["Location"] == "/dashboard"
    assert client.post("/attestation", data={"accept": "y"}).headers["Location"] == "/dashboard"
    assert client.get("/" + path).status_code == 410  # used once


def test_three_wrong_sevis_ids_void_the_link_on_the_page(client, factory, db_session):
    _, path = _creation_path(db_session, factory.student())
    data = {"sevis_id": "N0000000000", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    client.post("/" + path, data=data)
    client.post("/" + path, data=data)
    third = client.post("/" + path, data=data)
    assert third.status_code == 410 and b"three times" in third.data
    assert client.get("/" + path).status_code == 410


def test_password_rules_are_shown_on_the_creation_form(client, factory, db_session):
    student = factory.student()
    _, path = _creation_path(db_session, student)
    response = client.post("/" + path, data={"sevis_id": student.sevis_id, "password": "short", "confirm": "short"})
    assert response.status_code == 422 and b"at least 12" in response.data
    mismatch = client.post(
        "/" + path, data={"sevis_id": student.sevis_id, "password": NEW_PASSWORD, "confirm": "other words here"}
    )
    assert mismatch.status_code == 422 and b"not the same" in mismatch.data


def test_unknown_and_expired_links_explain_what_to_do(client, factory, db_session):
    assert client.get("/account/create/not-a-real-token").status_code == 404
    assert client.get("/password/reset/not-a-real-token").status_code == 404
    _, path = _creation_path(db_session, factory.student())
    with time_machine.travel(utcnow() + timedelta(days=15)):
        response = client.get("/" + path)
    assert response.status_code == 410 and b"expired" in response.data and b"Reset Portal Account" in response.data


def test_creation_token_does_not_open_the_reset_page(client, factory, db_session):
    _, path = _creation_path(db_session, factory.student())
    assert client.get("/password/reset/" + path.rsplit("/", 1)[1]).status_code == 404


def _without_csrf(body: bytes) -> bytes:
    return re.sub(rb'name="csrf[-_]token"[^>]*', b"", body)


def _reset_request_addresses(db_session, factory) -> dict[str, str]:
    """One address of each kind the page must not tell apart."""
    deactivated = factory.user(role=Role.DSO)
    deactivated.deactivated_at = utcnow()
    return {
        "student with a password": factory.user(role=Role.STUDENT).email,
        "account not finished": create_account_for_approved_opt(
            db_session, factory.student(), actor=Actor.system()
        ).email,
        "deactivated official": deactivated.email,
        "no account": "nobody@example.edu",
    }


def _without_per_request_values(response) -> tuple:
    """Status, body and headers, less the CSRF token and the session cookie's value (new for every visitor)."""
    headers = sorted(
        (name, re.sub(r"^([^=]+)=[^;]*", r"\1=...", value) if name == "Set-Cookie" else value)
        for name, value in response.headers.items()
    )
    return response.status_code, _without_csrf(response.data), headers


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_reset_request_does_the_same_work_and_answers_the_same_for_every_address(
    app, db_session, factory, count_queries, headers
):
    """Structurally equal, not only alike in time: the same status, body, headers and SQL statements."""
    answers, statements = {}, {}
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for kind, address in _reset_request_addresses(db_session, factory).items():
            visitor = app.test_client()  # a fresh visitor each time: own session, own CSRF token
            g.pop("csrf_token", None)  # Flask-WTF caches the token in g, which the tests' app context keeps
            token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', visitor.get("/password/reset").data)
            with count_queries() as counted:
                response = visitor.post(
                    "/password/reset", data={"email": address, "csrf_token": token.group(1).decode()}, headers=headers
                )
            answers[kind], statements[kind] = _without_per_request_values(response), counted["statements"]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    first = answers["no account"]
    assert first[0] == 200 and b"Check your email" in first[1]
    for kind, answer in answers.items():
        assert answer == first, kind
    assert all(listed == statements["no account"] for listed in statements.values())
    assert any("INSERT INTO password_reset_requests" in statement for statement in statements["no account"])
    assert not any("users" in statement for statement in statements["no account"])  # nobody is looked up here


def test_reset_request_for_something_not_an_email_address_gets_a_form_error(client):
    response = client.post("/password/reset", data={"email": "not an address"})
    assert response.status_code == 422 and b"like name@example.com" in response.data


def test_reset_requests_are_still_rate_limited_per_client(app, client, monkeypatch):
    class Limited(TestConfig):
        RATELIMIT_ENABLED = True

    create_app(Limited)  # gives the shared limiter its storage and turns it on; the requests go to this test's app
    monkeypatch.setitem(app.config, "LINK_RATE_LIMIT", "3 per minute")
    try:
        codes = [client.post("/password/reset", data={"email": f"person{n}@example.edu"}).status_code for n in range(4)]
    finally:
        limiter.reset()
        limiter.enabled = False
    assert codes == [200, 200, 200, 429]


def test_self_service_reset_unlocks_and_signs_out_everywhere(app, client, factory, sign_in, db_session):
    user = factory.user(role=Role.STUDENT)
    other_device = app.test_client()
    other_device.post("/", data={"email": user.email, "password": PASSWORD})
    for _ in range(5):
        client.post("/", data={"email": user.email, "password": "wrong password here"})
    assert user.locked_until is not None
    client.post("/password/reset", data={"email": user.email})
    answer_reset_requests(db_session)  # the worker's part
    token = latest_link_token(db_session, user, LinkPurpose.PASSWORD_RESET)
    assert client.get(f"/password/reset/{token}").status_code == 200
    done = client.post(f"/password/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303
    assert user.locked_until is None
    assert other_device.get("/attestation").status_code == 302
    assert client.post("/", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 303
    assert client.get(f"/password/reset/{token}").status_code == 410
    emails = db_session.scalars(
        select(OutboxEmail.template).where(OutboxEmail.user_id == user.id).order_by(OutboxEmail.id)
    ).all()
    assert emails == ["account_locked", "password_reset", "password_changed"]  # one email for the one lock


def test_reset_link_lasts_30_minutes(client, factory, db_session):
    user = factory.user(role=Role.STUDENT)
    client.post("/password/reset", data={"email": user.email})
    answer_reset_requests(db_session)  # the worker's part
    token = latest_link_token(db_session, user, LinkPurpose.PASSWORD_RESET)
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        assert client.get(f"/password/reset/{token}").status_code == 410


def test_htmx_form_errors_swap_the_partial(client, factory):
    response = client.post("/password/reset", data={"email": ""}, headers=HX)
    assert (
        response.status_code == 422 and b"<html" not in response.data and b"Enter your email address" in response.data
    )


BAD_VALUES = {
    "empty": "",
    "huge": "x" * (1024 * 1024),
    "control": "abc\x00\x07\x1b def ghi jkl",
    "html": "<script>alert(1)</script> long enough",
}


def _pages(db_session, factory):
    student = factory.student()
    user = create_account_for_approved_opt(db_session, student, actor=Actor.system())
    token = latest_link_token(db_session, user)
    reset_user = factory.user(role=Role.STUDENT)
    answer_password_reset(db_session, reset_user.email)
    reset_token = latest_link_token(db_session, reset_user, LinkPurpose.PASSWORD_RESET)
    return [
        ("/", ["email", "password"]),
        ("/password/reset", ["email"]),
        (f"/account/create/{token}", ["sevis_id", "password", "confirm"]),
        (f"/password/reset/{reset_token}", ["password", "confirm"]),
    ]


@pytest.mark.parametrize("kind", sorted(BAD_VALUES))
def test_bad_input_in_every_public_account_field_gets_a_form_error(client, factory, db_session, kind):
    for path, fields in _pages(db_session, factory):
        for field in fields:
            data = {name: NEW_PASSWORD for name in fields}
            data[field] = BAD_VALUES[kind]
            response = client.post(path, data=data)
            assert 400 <= response.status_code < 500 or (path == "/password/reset" and response.status_code == 200), (
                path,
                field,
                response.status_code,
            )
            assert b"<script>alert(1)</script>" not in response.data


def test_non_utf8_bytes_get_a_form_error_not_a_500(client, factory, db_session):
    for path, fields in _pages(db_session, factory):
        body = "&".join(f"{name}=%ff%fe%fd" for name in fields).encode()
        response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, path
    signed = factory.user(role=Role.STUDENT)
    client.post("/", data={"email": signed.email, "password": PASSWORD})
    for path in ("/attestation", "/password/change"):
        assert (
            client.post(
                path,
                data=b"accept=%ff&current_password=%ff&password=%ff&confirm=%ff",
                content_type="application/x-www-form-urlencoded",
            ).status_code
            < 500
        )


def test_bad_input_on_signed_in_forms(client, factory, sign_in):
    user = factory.user(role=Role.STUDENT)
    sign_in(user)
    for value in BAD_VALUES.values():
        response = client.post(
            "/password/change", data={"current_password": value, "password": value, "confirm": value}
        )
        assert response.status_code == 422
    client.post("/mfa/setup/start")
    for value in BAD_VALUES.values():
        assert client.post("/mfa/setup", data={"code": value}).status_code == 422


def test_recovery_codes_can_be_downloaded_as_text_and_copied(client, factory, sign_in):
    user = factory.user(role=Role.STUDENT)
    sign_in(user)
    client.post("/mfa/setup/start")
    page = client.post("/mfa/setup", data={"code": pyotp.TOTP(mfa.secret_of(user)).now()}).get_data(as_text=True)
    shown = re.findall(r"<li><code>([^<]+)</code></li>", page)
    assert len(shown) == 10
    link = re.search(r'download="opt-portal-recovery-codes.txt" href="data:text/plain;charset=utf-8,([^"]+)"', page)
    downloaded = unquote(html.unescape(link.group(1)))
    assert [line for line in downloaded.splitlines() if line in shown] == shown
    copy = re.search(r'<button type="button"[^>]*data-copy-text="([^"]+)" hidden>Copy the codes</button>', page)
    assert copy.group(1).split() == shown


def test_a_reset_request_for_a_list_of_addresses_gets_a_form_error_and_queues_nothing(client, db_session):
    response = client.post("/password/reset", data={"email": "postmaster,abuse,victim2@evil.example"})
    assert response.status_code == 422 and b"like name@example.com" in response.data
    assert db_session.scalar(select(func.count()).select_from(PasswordResetRequest)) == 0


def _show_password_buttons(body: str) -> dict[str, str]:
    """The "Show password" buttons of a page, by the field each controls."""
    return {
        match.group(2): match.group(0)
        for match in re.finditer(
            r'<button type="button"([^>]*)aria-controls="([^"]+)"([^>]*)>Show password</button>', body
        )
    }


def test_every_password_field_has_a_show_password_button_that_waits_for_javascript(
    client, factory, db_session, sign_in
):
    """Each password typed (current or new) can be shown: a toggle button (aria-pressed) naming its field, hidden
    until portal.js can work it."""
    pages = [
        (path, [name for name in fields if name in ("password", "confirm")])
        for path, fields in _pages(db_session, factory)
    ]
    pages.append(("/password/change", ["current_password", "password", "confirm"]))
    for path, fields in pages:
        if path == "/password/change":
            sign_in(factory.user(role=Role.STUDENT))
        body = client.get(path).get_data(as_text=True)
        buttons = _show_password_buttons(body)
        assert sorted(buttons) == sorted(fields), path
        for field, button in buttons.items():
            assert f'id="{field}"' in body and 'type="password"' in body
            assert 'aria-pressed="false"' in button and " hidden" in button and "data-show-password" in button, path
