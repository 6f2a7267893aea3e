"""The file drop zone survives an htmx swap: a report refused for a bad screenshot comes back (422) with the same
drop zone, and a file can be chosen again in it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import axe_check, sign_in_as
from tests.support.files import PNG


def test_the_drop_zone_is_still_there_after_a_refused_screenshot(page, seeded):
    sign_in_as(page, seeded, "student")
    page.goto("/problems")
    zone = page.locator("#problem-form .usa-file-input")
    expect(zone.locator(".usa-file-input__target")).to_be_visible()
    page.get_by_label("What went wrong?").fill("The page did not load.")
    page.locator("#screenshots").set_input_files(
        [{"name": "notes.png", "mimeType": "image/png", "buffer": b"these are notes, not a picture"}]
    )
    expect(zone.locator(".usa-file-input__preview")).to_have_text("notes.png")
    with page.expect_response(lambda response: response.url.endswith("/problems")) as answer:
        page.get_by_role("button", name="Send report").click()
    assert answer.value.status == 422
    expect(page.locator("#screenshots-error")).to_contain_text("PNG or JPEG")

    # The swapped-in form has the drop zone, not a bare "Choose File" control, and nothing chosen yet.
    target = page.locator("#problem-form .usa-file-input .usa-file-input__target")
    expect(target).to_be_visible()
    expect(target.locator(".usa-file-input__instructions")).to_contain_text("choose from folder")
    expect(target.locator(".usa-file-input__preview")).to_have_count(0)
    axe_check(page, context="problem report refused for its screenshot")

    page.locator("#screenshots").set_input_files([{"name": "screen.png", "mimeType": "image/png", "buffer": PNG}])
    expect(target.locator(".usa-file-input__preview")).to_have_text("screen.png")
    expect(target.locator(".usa-file-input__instructions")).to_be_hidden()
    expect(page.locator("#problem-form [data-file-status]")).to_have_text("You have selected the file: screen.png")
