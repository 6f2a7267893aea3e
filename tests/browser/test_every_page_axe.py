"""axe-core on every GET page of the app, as each role: zero WCAG 2.1 A/AA (Section 508) violations,
at 1280 px and at 320 px; at 320 px the page itself must not scroll sideways either.

The list of pages comes from the app's own url_map, so it grows as routes are added. A route
guarded by ``roles_required`` is visited by the roles it allows; an unguarded one by everyone.
Path parameters are filled from the seeded data when we know what they mean; other parameterised
routes are reached by the user flows instead.
"""

from __future__ import annotations

import pytest

from portal import create_app
from portal.config import TestConfig
from tests.browser.conftest import assert_no_page_scroll, axe_check, sign_in_as

ROLES = ["anonymous", "student", "dso", "principal_dso", "support", "operator"]
SKIP_ENDPOINTS = {"static", "health.healthz"}
DOWNLOADS = {"csv", "xlsx", "xml", "pdf", "json"}  # files, not pages (the flows check their contents)


def _get_routes():
    app = create_app(TestConfig)
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS or rule.endpoint.endswith(".static"):
            continue
        view = app.view_functions[rule.endpoint]
        allowed = getattr(view, "allowed_roles", None)
        routes.append((rule.rule, rule.arguments, None if allowed is None else {str(role) for role in allowed}))
    return sorted(routes)


ROUTES = _get_routes()


def _fill(path: str, arguments: set[str], seeded: dict) -> str | None:
    values = {"sevis_id": seeded["student"]["sevis_id"]}
    if not arguments <= values.keys():
        return None
    for name in arguments:
        path = path.replace(f"<{name}>", values[name]).replace(f"<string:{name}>", values[name])
    return path


@pytest.fixture(params=["desktop", "narrow"], ids=["desktop", "320px"])
def viewport_name(request):
    """The sweep runs at desktop size and at 320 px, the narrowest phone (WCAG 1.4.10 reflow)."""
    return request.param


@pytest.mark.parametrize("role", ROLES)
def test_every_get_page_a_role_can_open_has_no_accessibility_violations(page, seeded, role, viewport_name):
    if role != "anonymous":
        def check(p):
            axe_check(p, context=f"signing in as {role}")
            if viewport_name == "narrow":
                assert_no_page_scroll(p, context=f"signing in as {role}")

        sign_in_as(page, seeded, role, check=check)
    visited, failures = [], []
    for path, arguments, allowed in ROUTES:
        if allowed is not None and role not in allowed:
            continue
        url = _fill(path, set(arguments), seeded)
        if url is None:
            continue
        if url.rsplit(".", 1)[-1] in DOWNLOADS:
            continue
        page.console_problems.clear()  # a file shown on its own (the favicon) logs about its viewer, not a page
        try:
            response = page.goto(url)
        except Exception as error:  # a route that answers with a file: not a page
            if "Download is starting" in str(error):
                continue
            raise
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        if response.status >= 500:
            failures.append(f"{url}: HTTP {response.status}")
            continue
        visited.append(url)
        try:
            axe_check(page, context=f"as {role}")
        except AssertionError as error:
            failures.append(str(error))
        if viewport_name == "narrow":
            try:
                assert_no_page_scroll(page, context=f"as {role}")
            except AssertionError as error:
                failures.append(str(error))
        page.console_problems.clear()
    assert visited, f"no page visited as {role}"
    assert not failures, "\n\n".join(failures)
