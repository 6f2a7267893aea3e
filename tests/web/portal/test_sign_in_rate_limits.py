"""Rate limits on sign-in: the per-address limit holds, an app-wide limit keeps its per-request check, the storage
is configurable."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from portal import create_app, skip_app_wide_rate_limit_check
from portal.config import Config, TestConfig
from portal.extensions import limiter
from portal.models.enums import Role
from tests.web.portal.conftest import post_sign_in


def test_per_address_rate_limit_on_sign_in(app, db_session, factory):
    class Limited(TestConfig):
        DATABASE_URL = app.config["DATABASE_URL"]
        RATELIMIT_ENABLED = True
        SIGN_IN_RATE_LIMIT = "3 per minute"

    user = factory.user(role=Role.STUDENT)
    limited = create_app(Limited)
    try:
        # No app-wide limit is configured, so the per-request check for one is skipped; the route's limit holds.
        assert limiter._check_request_limit not in limited.before_request_funcs[None]
        client = limited.test_client()
        codes = [post_sign_in(client, user.email, "wrong password here").status_code for _ in range(4)]
        assert codes == [422, 422, 422, 429]
        assert client.get("/").status_code == 200  # reading the page is not limited
    finally:
        limiter.reset()
        limiter.enabled = False


def test_an_app_wide_rate_limit_keeps_the_per_request_check():
    app = Flask("rate_limited")
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    app_wide = Limiter(get_remote_address, app=app, default_limits=["1 per minute"])
    app.add_url_rule("/ping", "ping", lambda: "pong")
    skip_app_wide_rate_limit_check(app, app_wide)
    assert app_wide._check_request_limit in app.before_request_funcs[None]
    client = app.test_client()
    assert [client.get("/ping").status_code for _ in range(2)] == [200, 429]


def test_rate_limit_storage_is_configurable():
    assert Config.RATELIMIT_STORAGE_URI  # memory:// by default; RATELIMIT_STORAGE_URI=redis://... to share
