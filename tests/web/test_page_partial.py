"""The page/partial convention: one helper decides, and every response varies on HX-Request."""

import pytest
from flask import Blueprint

from portal import create_app
from portal.config import TestConfig
from portal.forms.auth import SignInForm
from portal.web import redirect_or_swap, render_page_or_partial


@pytest.fixture(scope="module")
def demo_app(database_url):
    """An app of its own with two routes that exercise the helpers."""

    class DemoConfig(TestConfig):
        DATABASE_URL = database_url

    app = create_app(DemoConfig)
    bp = Blueprint("page_partial_demo", __name__)

    @bp.get("/__test__/page")
    def page():
        return render_page_or_partial("auth/sign_in.html", "auth/_sign_in_form.html", form=_form(), error=None)

    @bp.post("/__test__/done")
    def done():
        return redirect_or_swap("/__test__/page")

    app.register_blueprint(bp)
    return app


@pytest.fixture
def client(demo_app):
    return demo_app.test_client()


def _form():
    return SignInForm(meta={"csrf": False})


def test_plain_request_gets_the_full_page(demo_app, client):
    response = client.get("/__test__/page")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in body and 'id="main-content"' in body and 'id="sign-in-form"' in body


def test_htmx_request_gets_only_the_partial(demo_app, client):
    response = client.get("/__test__/page", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert body.lstrip().startswith("<form") and 'id="sign-in-form"' in body


def test_history_restore_gets_the_full_page(demo_app, client):
    response = client.get("/__test__/page", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in response.get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}])
def test_every_response_varies_on_hx_request(demo_app, client, headers):
    for path in ("/__test__/page", "/", "/healthz", "/no-such-page"):
        response = client.get(path, headers=headers)
        assert "HX-Request" in response.headers.get("Vary", ""), path


def test_plain_post_redirects_and_htmx_post_gets_hx_redirect(demo_app, client):
    plain = client.post("/__test__/done")
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/__test__/page")
    swapped = client.post("/__test__/done", headers={"HX-Request": "true"})
    assert swapped.status_code == 204 and swapped.headers["HX-Redirect"] == "/__test__/page"


def test_unknown_page_is_a_friendly_404_not_a_stack_trace(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_security_headers_on_every_response(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age" in response.headers["Strict-Transport-Security"]
    assert response.headers["Referrer-Policy"]
