"""Keyboard-only runs: every control of a form is reached with Tab and operated with keys."""

import pyotp

from tests.browser.conftest import axe_check, tab_to


def test_the_sign_in_form_can_be_completed_with_the_keyboard_alone(page, seeded):
    page.goto("/?next=/account/security")
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
