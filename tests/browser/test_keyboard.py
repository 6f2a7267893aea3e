"""Keyboard-only runs: every control of a form is reached with Tab and operated with keys."""

from datetime import date, timedelta

import pyotp
from playwright.sync_api import expect

from tests.browser.conftest import axe_check, sign_in_as, tab_to


def test_the_sign_in_form_can_be_completed_with_the_keyboard_alone(page, seeded):
    page.goto("/?next=/account/security")
    tab_to(page, "el.classList.contains('usa-skipnav')")
    page.keyboard.press("Enter")  # skip link: focus moves to the main content
    tab_to(page, "el.id === 'email'")
    page.keyboard.type(seeded["users"]["dso"])
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "password"
    page.keyboard.type(seeded["password"])
    page.keyboard.press("Tab")  # "Show password" shows the typed password; pressed again, it masks it again
    toggle = page.get_by_role("button", name="Show password")
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Space")
    expect(page.locator("#password")).to_have_attribute("type", "text")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    expect(page.locator("#password")).to_have_attribute("type", "password")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.type") == "submit"
    focus_visible = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert focus_visible != "none", "the focused Sign in button shows no focus outline"
    page.keyboard.press("Tab")
    assert "reset" in page.evaluate("() => document.activeElement.getAttribute('href')")
    page.keyboard.press("Shift+Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.split("?")[0].endswith("/mfa/verify"), "an official's sign-in asks for the TOTP code next"
    axe_check(page, context="MFA verify")
    tab_to(page, "el.id === 'code'")
    seeded["stack"].forget_used_totp_codes()
    page.keyboard.type(pyotp.TOTP(seeded["mfa_secret"]).now())
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/account/security")
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert cookies & {"portal_session", "session"}


def test_a_keyboard_user_lands_on_the_first_error_after_an_empty_submit(page):
    page.goto("/")
    tab_to(page, "el.type === 'submit'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".usa-error-message").count() >= 1
    axe_check(page, context="sign-in form with errors")


def test_a_student_signs_in_and_accepts_the_attestation_with_the_keyboard_alone(page, seeded):
    page.goto("/?next=/account/security")
    tab_to(page, "el.id === 'email'")
    page.keyboard.type(seeded["users"]["student"])
    page.keyboard.press("Tab")
    page.keyboard.type(seeded["password"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.split("?")[0].endswith("/attestation")
    axe_check(page, context="attestation")
    tab_to(page, "el.type === 'checkbox'")
    page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.checked")
    tab_to(page, "el.type === 'submit'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/account/security")


def test_marking_an_obligation_complete_by_keyboard_moves_focus_to_the_confirmation(page, seeded, viewport_name):
    mine = seeded["keyboard_obligations"][viewport_name]
    sign_in_as(page, seeded, "dso")
    # Filtered to the days around its due date, so the row is on the first page whatever else is open.
    page.goto(f"/admin/obligations?before={date.fromisoformat(mine['due_on']) + timedelta(days=1)}")
    axe_check(page, context="obligations, filtered by due date")
    box, label = page.locator(f"#ob-{mine['id']}"), page.locator(f"label[for=ob-{mine['id']}]")
    # The label is the box's own size and sits in the middle of its row, so a pointer can tick it too.
    row, area = page.locator("tr", has=box).bounding_box(), label.bounding_box()
    assert area["height"] >= 20 and area["width"] >= 20, area
    assert abs((area["y"] + area["height"] / 2) - (row["y"] + row["height"] / 2)) <= 4, (area, row)
    label.click()
    expect(box).to_be_checked()
    label.click()
    expect(box).not_to_be_checked()
    tab_to(page, f"el.id === 'ob-{mine['id']}'")
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    tab_to(page, "el.type === 'submit' && el.textContent.includes('Mark chosen complete')")
    page.keyboard.press("Enter")
    confirmation = page.locator("#obligation-confirmation .usa-alert")
    expect(confirmation).to_contain_text("Marked 1 obligation complete")
    page.wait_for_function("() => document.activeElement && document.activeElement.closest('#obligation-confirmation')")
    assert page.evaluate("() => document.activeElement.textContent").strip().startswith("Marked 1 obligation complete")
    expect(box).to_have_count(0)
    axe_check(page, context="obligations after marking complete")


def test_choose_all_ticks_every_row_and_clears_when_one_is_cleared(page, seeded):
    sign_in_as(page, seeded, "dso")
    page.goto("/admin/obligations")
    rows, choose_all = page.locator("input[data-select-one]"), page.locator("#ob-all")
    count = rows.count()
    assert count >= 1
    page.locator("label[for=ob-all]").click()
    assert [rows.nth(index).is_checked() for index in range(count)] == [True] * count
    page.locator(f"label[for={rows.first.get_attribute('id')}]").click()
    expect(choose_all).not_to_be_checked()  # no longer every row: the server must not read it as "all"
    page.locator("label[for=ob-all]").click()
    page.locator("label[for=ob-all]").click()
    assert [rows.nth(index).is_checked() for index in range(count)] == [False] * count
