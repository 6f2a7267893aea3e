"""axe-core on every GET page of the app, as each role: zero WCAG 2.1 A/AA (Section 508) violations,
at 1280 px and at 320 px; at 320 px the page itself must not scroll sideways either.

The list of pages comes from the app's own url_map (``every_get_page`` in conftest.py), so it grows as routes are
added.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import ROLES, assert_no_page_scroll, axe_check, every_get_page, sign_in_as


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
    for url, response in every_get_page(page, seeded, role):
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
    assert visited, f"no page visited as {role}"
    assert not failures, "\n\n".join(failures)
