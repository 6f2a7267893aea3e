"""What every response carries: security headers, no caching of signed-in pages, and a clear answer to an expired
form (CSRF), also for htmx."""

from __future__ import annotations

from portal.models.enums import Role
from tests.web.conftest import HX


def test_signed_in_pages_are_not_cached(client, factory, sign_in):
    sign_in(factory.user(role=Role.STUDENT))
    assert client.get("/account/security").headers["Cache-Control"] == "no-store"


def test_security_headers_on_every_response(client):
    for response in (client.get("/"), client.get("/no-such-page"), client.get("/password/reset")):
        headers = response.headers
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]


def test_expired_csrf_token_gets_a_clear_message_also_for_htmx(app, client, factory, sign_in):
    sign_in(factory.user(role=Role.STUDENT))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        plain = client.post("/account/sign-out-everywhere", data={"csrf_token": "stale"})
        assert plain.status_code == 400 and b"Your form expired" in plain.data
        swapped = client.post("/account/sign-out-everywhere", headers=HX)
        assert swapped.status_code == 400 and b"Your form expired" in swapped.data and b"<html" not in swapped.data
        anonymous_sign_in = app.test_client().post("/", data={"email": "a@b.c", "password": "x"})
        assert anonymous_sign_in.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
