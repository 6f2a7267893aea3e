"""Rule 15 in the browser: a STEM student confirms their details from the dashboard prompt, and the DSO sees the
submission on the obligation (issue 11's browser test), axe-core on every page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import axe_check, sign_in


def test_a_stem_student_confirms_their_details_and_the_dso_sees_the_submission(
    page, new_page, seeded, stack, viewport_name
):
    student = seeded["stem"][viewport_name]
    changes = f"Moved to 5 Elm Street, Cambridge ({viewport_name})."
    sign_in(page, student["email"], seeded["password"])
    page.goto("/dashboard")
    axe_check(page, context="dashboard with a STEM confirmation open")
    with page.expect_navigation():
        page.get_by_role("link", name="Confirm my details").click()
    axe_check(page, context="confirm my details")
    expect(page.locator("#details-to-confirm")).to_contain_text(student["name"])
    expect(page.locator("#details-to-confirm")).to_contain_text("Harbor Street")
    page.locator("label[for=details_correct-1]").click()  # USWDS draws the radio on the label
    page.get_by_label(re.compile(r"^What changed")).fill(changes)
    page.get_by_role("button", name="Send my confirmation").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    expect(page.get_by_text("Your school has your confirmation")).to_be_visible()
    expect(page.get_by_role("link", name="Confirm my details")).to_have_count(0)
    axe_check(page, context="dashboard after confirming")

    dso = new_page()
    stack.forget_used_totp_codes()
    sign_in(dso, seeded["users"]["dso"], seeded["password"], mfa_secret=seeded["mfa_secret"])
    dso.goto("/admin/obligations")
    axe_check(dso, context="obligations with a STEM confirmation")
    expect(dso.locator("#obligation-list")).to_contain_text(changes)
    dso.goto(f"/admin/students/{student['sevis_id']}")
    axe_check(dso, context="student information with STEM duties")
    expect(dso.locator("#stem-duties")).to_contain_text(changes)
    expect(dso.locator("#stem-duties")).to_contain_text("something changed")
