"""Issue 12 in the browser, axe-core on every page: a DSO opens a STEM employer's Form I-983 and returns the employer
with a reason the student then reads; support finds a student by name and opens the screenshot of their problem
report."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import axe_check, sign_in, sign_in_as


def test_a_dso_opens_the_i983_returns_the_employer_and_the_student_sees_the_reason(
    page, new_page, seeded, viewport_name
):
    student = seeded["stem_review"][viewport_name]
    reason = f"The job title on your Form I-983 differs from the one you entered ({viewport_name})."
    dso = new_page()
    sign_in_as(dso, seeded, "dso")
    dso.goto(f"/admin/students/{student['sevis_id']}")
    axe_check(dso, context="student information with a STEM employer waiting")
    with dso.expect_navigation():
        dso.get_by_role("link", name=re.compile(f"^Review {student['employer']}")).click()
    axe_check(dso, context="STEM review")
    expect(dso.locator("#employer-facts")).to_contain_text(student["employer"])
    with dso.expect_download() as download:
        dso.get_by_role("link", name=re.compile("^Open the Form I-983")).click()
    assert download.value.suggested_filename == student["i983"]
    assert download.value.path().read_bytes().startswith(b"%PDF-")

    dso.get_by_role("button", name=f"Return {student['employer']} to the student").click()
    dso.locator("#note-error").wait_for()  # a return needs the reason
    axe_check(dso, context="STEM review without a reason")
    dso.get_by_label(re.compile(r"^Note to the student")).fill(reason)
    with dso.expect_navigation():
        dso.get_by_role("button", name=f"Return {student['employer']} to the student").click()
    dso.wait_for_url(f"**/admin/students/{student['sevis_id']}")
    expect(dso.get_by_text(f"{student['employer']} returned to the student")).to_be_visible()
    axe_check(dso, context="student information after the return")

    sign_in(page, student["email"], seeded["password"])
    page.goto("/employers")
    card = page.locator(".usa-card", has_text=student["employer"])
    expect(card).to_contain_text("Returned by your school")
    expect(card.locator(".employer-return-reason")).to_contain_text(reason)
    axe_check(page, context="employers with a returned employer")


def test_support_finds_a_student_by_name_and_opens_the_screenshot(page, seeded, viewport_name):
    problem = seeded["problem"]
    sign_in_as(page, seeded, "support")
    page.goto("/support/")
    axe_check(page, context="support look-up")
    page.get_by_label(re.compile(r"^Look up a student")).fill(problem["surname"].lower())
    with page.expect_navigation():
        page.get_by_label(re.compile(r"^Look up a student")).press("Enter")
    results = page.locator("#lookup-results")
    expect(results).to_contain_text(problem["sevis_id"])
    axe_check(page, context="support look-up results")
    with page.expect_navigation():
        results.get_by_role("link", name=re.compile(problem["surname"])).click()
    page.wait_for_url(f"**/support/students/{problem['sevis_id']}")
    expect(page.locator("#problem-reports")).to_contain_text(problem["description"])
    axe_check(page, context="support student page with a problem report")
    with page.expect_navigation() as opened:
        page.locator("#problem-reports").get_by_role("link", name=re.compile(problem["screenshot"])).click()
    response = opened.value
    assert response.ok and response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox; default-src 'none'"
