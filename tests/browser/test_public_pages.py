"""Pages anyone can open, at phone and desktop sizes: they render, and axe finds no violation."""

import re

import pytest

from tests.browser.conftest import axe_check, sign_in


def test_sign_in_page_renders_and_has_no_accessibility_violations(page):
    response = page.goto("/")
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text().startswith("Sign in to")
    assert page.get_by_label(re.compile(r"^Email address")).is_visible()
    assert page.get_by_label(re.compile(r"^Password\b")).is_visible()
    axe_check(page)


def test_a_wrong_password_shows_one_message_that_is_announced_and_accessible(page, seeded):
    sign_in(page, seeded["users"]["student"], "not the password at all")
    alert = page.locator("#sign-in-error")
    assert alert.get_attribute("role") == "alert"
    assert "not right" in alert.inner_text()
    axe_check(page, context="sign-in error")


def test_the_error_page_for_an_unknown_address_is_a_404_and_accessible(page):
    response = page.goto("/no/such/page")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    assert page.get_by_role("link", name="home page").is_visible()
    axe_check(page, context="404 page")


def test_the_sign_in_page_fits_the_viewport_without_sideways_scrolling(page, viewport_name, request):
    if viewport_name == "phone":
        # Known layout bug, reported to the integrator: the slim footer's `ul.grid-row.grid-gap`
        # (layout.html) sticks out 8 px past a 375 px screen. strict: this flips to a failure once fixed.
        request.applymarker(pytest.mark.xfail(strict=True, reason="footer nav overflows a phone by 8 px (layout.html)"))
    page.goto("/")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
