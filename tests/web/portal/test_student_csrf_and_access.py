"""Every student route: students only (from the URL map), and state changes need the CSRF token."""

import re

import pytest

from portal import create_app
from portal.config import TestConfig
from portal.models.enums import Role
from tests.support.factories import PASSWORD

STUDENT_BLUEPRINTS = {"dashboard", "employers", "contact", "history", "documents", "problems"}


def test_every_student_route_is_for_students_only(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.split(".")[0] in STUDENT_BLUEPRINTS]
    assert len(rules) >= 15
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "allowed_roles", None) == {Role.STUDENT}, rule.rule


@pytest.fixture
def csrf_app(database_url, app):
    class CsrfConfig(TestConfig):
        DATABASE_URL = database_url
        WTF_CSRF_ENABLED = True
        UPLOAD_DIR = app.config["UPLOAD_DIR"]

    return create_app(CsrfConfig)


def _token(client, path="/"):
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_student_posts_without_the_csrf_token_are_refused(csrf_app, db_session, factory):
    student = factory.student()
    user = factory.user(role=Role.STUDENT, student=student)
    employer = factory.employer(student)
    client = csrf_app.test_client()
    signed = client.post("/", data={"email": user.email, "password": PASSWORD, "csrf_token": _token(client)})
    assert signed.status_code == 303
    attested = client.post("/attestation", data={"accept": "y", "csrf_token": _token(client, "/attestation")})
    assert attested.status_code == 303
    for path, data in [
        (f"/employers/{employer.id}/delete", {"never_worked": "y"}),
        ("/contact/phone", {"phone": "6175550100"}),
        ("/contact/email", {"email": "a@example.org"}),
        ("/employers", {"name": "x"}),
        ("/mfa/setup/start", {}),
        ("/mfa/setup/restart", {}),
    ]:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "Your form expired" in response.get_data(as_text=True)
    assert employer.deleted_at is None
    token = _token(client, "/employers")
    ok = client.post(
        f"/employers/{employer.id}/delete",
        data={"never_worked": "y"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert ok.status_code == 204
