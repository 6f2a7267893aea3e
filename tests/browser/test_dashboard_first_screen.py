"""Issue 13: on a phone (375x667, and 320 px wide) the dashboard's key facts (days left, the run-out date) and its
one primary action are within the first screen, without scrolling; then Save my record opens and prints cleanly."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import _new_context, axe_check, sign_in

FIRST_SCREEN = 667


@pytest.mark.parametrize("width", [375, 320])
def test_the_dashboard_answers_am_i_ok_in_the_first_screen(browser, base_url, seeded, width):
    counter = seeded["counter"]
    context = _new_context(browser, base_url, "phone")
    page = context.new_page()
    try:
        page.set_viewport_size({"width": width, "height": FIRST_SCREEN})
        sign_in(page, counter["email"], seeded["password"])
        page.goto("/dashboard")
        expect(page.locator("#summary-days-left")).to_have_text(f"{counter['remaining']} left")
        expect(page.locator("#summary-runs-out")).to_contain_text(counter["runs_out_long"])
        expect(page.locator("#primary-action")).to_have_text("Add employer")
        for selector in ("#summary-opt", "#summary-days-left", "#summary-runs-out", "#primary-action"):
            box = page.locator(selector).bounding_box()
            assert box is not None and box["y"] + box["height"] <= FIRST_SCREEN, (selector, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        axe_check(page, context=f"dashboard at {width} px")

        page.goto("/record")
        expect(page.get_by_role("heading", name="My OPT record")).to_be_visible()
        page.emulate_media(media="print")
        expect(page.locator(".usa-header")).to_be_hidden()
        expect(page.locator(".usa-footer")).to_be_hidden()
        expect(page.locator("#record-history")).to_be_visible()
    finally:
        context.close()
