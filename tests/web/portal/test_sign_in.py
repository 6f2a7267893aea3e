"""Sign-in through the pages: one answer for every failure (rule 18), the steps before any page, and where it leads
(next). Two-step verification, sessions, rate limits, headers and the forced change are in the test_sign_in_*
files beside this one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.auth import safe_next
from portal.models import Event, utcnow
from portal.models.enums import Role
from tests.support.factories import PASSWORD
from tests.web.conftest import HX
from tests.web.portal.conftest import post_sign_in


def test_wrong_email_and_wrong_password_get_the_same_answer(client, factory):
    user = factory.user(role=Role.STUDENT)
    wrong_password = post_sign_in(client, user.email, "not the right password")
    wrong_email = post_sign_in(client, "nobody@example.edu", PASSWORD)
    assert wrong_password.status_code == wrong_email.status_code == 422
    message = b"The email address or password is not right"
    assert message in wrong_password.data and message in wrong_email.data


def _page_text(response) -> bytes:
    """The body without what differs on every response (nonces, tokens)."""
    return re.sub(rb'(nonce|value)="[^"]*"', rb'\1=""', response.data)


def test_known_unknown_and_paused_addresses_get_the_same_answer_and_the_same_statements(client, factory, count_queries):
    known, paused = factory.user(role=Role.STUDENT), factory.user(role=Role.STUDENT)
    unknown = "nobody.here@example.edu"
    for _ in range(5):
        paused_answer = post_sign_in(client, paused.email, "not the right password")
    assert paused.locked_until is not None and b"is locked" not in paused_answer.data
    for address in (known.email, unknown):
        post_sign_in(client, address, "not the right password")
    answers, statements = {}, {}
    for name, address, password in [
        ("known", known.email, "not the right password"),
        ("unknown", unknown, "not the right password"),
        ("paused, the right password", paused.email, PASSWORD),
    ]:
        with count_queries() as counter:
            response = post_sign_in(client, address, password)
        answers[name] = (response.status_code, _page_text(response).replace(address.encode(), b"ADDRESS"))
        statements[name] = [re.sub(r"%\(\w+\)s|\?", "?", " ".join(each.split())) for each in counter["statements"]]
    assert answers["known"] == answers["unknown"] == answers["paused, the right password"]
    assert answers["known"][0] == 422 and b"resetting your password lets you in at once" in answers["known"][1]
    assert statements["known"] == statements["unknown"] == statements["paused, the right password"]
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        assert post_sign_in(client, paused.email, PASSWORD).status_code == 303


def test_student_sees_the_attestation_before_any_other_page(client, factory, db_session):
    user = factory.user(role=Role.STUDENT)
    response = post_sign_in(client, user.email, PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"
    blocked = client.get("/account/security")
    assert blocked.status_code == 303 and blocked.headers["Location"] == "/attestation"
    assert client.post("/attestation", data={}).status_code == 422
    done = client.post("/attestation", data={"accept": "y"})
    assert done.status_code == 303 and done.headers["Location"] == "/dashboard"
    assert client.get("/account/security").status_code == 200
    accepted = db_session.scalars(
        select(Event).where(Event.user_id == user.id, Event.event_type == "attestation.accepted")
    ).all()
    assert len(accepted) == 1


def test_attestation_is_asked_again_at_the_next_sign_in(client, factory, sign_in):
    user = factory.user(role=Role.STUDENT)
    sign_in(user)
    client.post("/sign-out")
    post_sign_in(client, user.email, PASSWORD)
    assert client.get("/account/security").headers["Location"] == "/attestation"


def test_htmx_request_during_a_step_gets_hx_redirect(client, factory):
    user = factory.user(role=Role.STUDENT)
    post_sign_in(client, user.email, PASSWORD)
    response = client.get("/account/security", headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/attestation"


@pytest.mark.parametrize(
    "target, kept",
    [
        ("/account/security", True),
        ("/admin/students?q=x", True),
        ("//evil.example", False),
        ("https://evil.example/", False),
        ("/\\evil.example", False),
        ("javascript:alert(1)", False),
        ("evil.example", False),
        ("/ok\r\nSet-Cookie: x", False),
        ("", False),
        (None, False),
    ],
)
def test_next_only_ever_leads_to_a_path_on_this_site(target, kept):
    assert safe_next(target) == (target if kept else None)


def test_sign_in_follows_a_safe_next_and_ignores_an_unsafe_one(client, factory):
    user = factory.user(role=Role.STUDENT)
    assert (
        post_sign_in(client, user.email, PASSWORD, query_string={"next": "//evil.example"}).headers["Location"]
        == "/dashboard"
    )
    client.post("/sign-out")
    assert (
        post_sign_in(client, user.email, PASSWORD, query_string={"next": "/history"}).headers["Location"] == "/history"
    )


def test_anonymous_request_goes_to_sign_in_with_next(client):
    response = client.get("/account/security")
    assert response.status_code == 302 and response.headers["Location"] == "/?next=/account/security"


def test_anonymous_htmx_request_is_redirected_whole_page(client):
    response = client.get("/account/security", headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/"


def test_sign_in_fixture_returns_a_ready_client_that_also_reads_like_the_response(factory, sign_in):
    signed_in = sign_in(factory.user(role=Role.PRINCIPAL_DSO))
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/admin/"
    assert signed_in.get("/account/security").status_code == 200
