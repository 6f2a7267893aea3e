"""A DSO opens a student's Student Information page from the students list and reads the unemployment counter as
SEVIS shows it: days allowed, used and remaining, and the date they would run out (DESIGN rule 16)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import axe_check, sign_in_as


def test_a_dso_sees_the_unemployment_counter_on_student_information(page, seeded):
    counter = seeded["counter"]
    sign_in_as(page, seeded, "dso")
    page.goto(f"/admin/students?q={counter['sevis_id']}")
    axe_check(page, context="students list, one student")
    with page.expect_navigation():
        page.get_by_role("link", name=counter["name"]).click()

    section = page.get_by_role("region", name="Unemployment days")
    expect(section).to_be_visible()
    for term, value in (
        ("Allowed", counter["allowed"]),
        ("Used", counter["used"]),
        ("Remaining", counter["remaining"]),
        ("Runs out on", counter["runs_out"]),
    ):
        expect(section.locator(f"dt:text-is('{term}') + dd")).to_have_text(value)
    expect(page.get_by_role("region", name="Employers").get_by_role("cell", name="Past")).to_be_visible()
    axe_check(page, context="Student Information with the unemployment counter")
