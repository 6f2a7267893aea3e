"""Keyboard-only runs: every control of a form is reached with Tab and operated with keys."""

from tests.browser.conftest import axe_check, tab_to


def test_the_sign_in_form_can_be_completed_with_the_keyboard_alone(page, seeded):
    page.goto("/")
    tab_to(page, "el.classList.contains('usa-skipnav')")
    page.keyboard.press("Enter")  # skip link: focus moves to the main content
    tab_to(page, "el.id === 'email'")
    page.keyboard.type(seeded["users"]["dso"])
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "password"
    page.keyboard.type(seeded["password"])
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.type") == "submit"
    focus_visible = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert focus_visible != "none", "the focused Sign in button shows no focus outline"
    page.keyboard.press("Tab")
    assert "reset" in page.evaluate("() => document.activeElement.getAttribute('href')")
    page.keyboard.press("Shift+Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/admin/")
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert cookies & {"portal_session", "session"}


def test_a_keyboard_user_lands_on_the_first_error_after_an_empty_submit(page):
    page.goto("/")
    tab_to(page, "el.type === 'submit'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".usa-error-message").count() >= 1
    axe_check(page, context="sign-in form with errors")
