"""DESIGN rule 5 in the browser: a student whose portal access has closed signs in and sees the closed page, which
says why and whom to ask (the school's DSOs), opens no session and passes axe. The student is seeded in a school of
their own (tests/browser/seed.py), whom no other browser test signs in as."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import axe_check


def _submit(page, email: str, password: str):
    page.goto("/")
    page.get_by_label(re.compile(r"^Email address")).fill(email)
    page.get_by_label(re.compile(r"^Password\b")).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def test_a_student_whose_access_has_closed_signs_in_and_sees_the_closed_page(page, seeded):
    closed = seeded["closed_student"]
    _submit(page, closed["email"], "not the password at all")
    expect(page.locator("#sign-in-error")).to_contain_text("The email address or password is not right")
    expect(page.get_by_text("closed", exact=False)).to_have_count(0)

    _submit(page, closed["email"], seeded["password"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Your portal account is closed")
    expect(page.locator("#access-closed-reason")).to_have_text(
        "Your portal access ended on June 30, 2024, six months after your OPT ended on December 31, 2023."
    )
    expect(page.locator("#access-closed-school")).to_have_text(closed["school"])
    official = page.get_by_role("link", name=closed["official"]["email"])
    expect(official).to_have_attribute("href", f"mailto:{closed['official']['email']}")
    expect(page.locator("#access-closed-officials")).to_contain_text(closed["official"]["name"])
    axe_check(page, context="closed account page")

    page.goto("/dashboard")  # no session was opened: back to sign-in, never data
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert "/dashboard" not in page.url.split("?")[0]
