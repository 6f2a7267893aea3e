"""A student turns two-step verification on, then off again in the confirmation dialog, by label and keyboard.

Uses the seeded student of the other school, whom no other browser test signs in as; it ends as it began (off).
"""

from __future__ import annotations

import re

import pyotp

from tests.browser.conftest import axe_check, sign_in


def test_a_student_turns_two_step_verification_on_and_off_again(page, seeded):
    sign_in(page, seeded["other_student"]["email"], seeded["password"])
    page.goto("/mfa/setup")
    secret = page.locator("#mfa-secret").inner_text().strip()
    page.get_by_label(re.compile(r"code", re.I)).first.fill(pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on two-step verification").click()
    codes = page.locator(".portal-recovery-codes code").all_inner_texts()
    assert len(codes) == 10

    page.goto("/account/security")
    page.get_by_role("link", name="Turn off two-step verification").click()
    dialog = page.get_by_role("dialog", name="Turn off two-step verification?")
    dialog.wait_for()
    _wait_for_focus(page, "confirm-heading")  # focus moves into the dialog
    axe_check(page, context="turn-off dialog")

    dialog.get_by_label("Current password").fill("not my password at all")
    dialog.get_by_label(re.compile(r"recovery code")).fill(codes[0])
    dialog.get_by_role("button", name="Turn off two-step verification").click()
    page.get_by_text("That is not your current password.").first.wait_for()
    _wait_for_focus(page, "current_password")  # focus goes to the field to fix
    axe_check(page, context="turn-off dialog with an error")

    dialog.get_by_label("Current password").fill(seeded["password"])
    dialog.get_by_label(re.compile(r"recovery code")).fill(codes[0])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/account/security")
    page.get_by_text("Two-step verification is off.").wait_for()
    assert page.get_by_role("link", name="Turn on two-step verification").is_visible()
    axe_check(page, context="security page after turning it off")


def _wait_for_focus(page, element_id: str) -> None:
    page.wait_for_function("(id) => document.activeElement && document.activeElement.id === id", arg=element_id,
                           timeout=5_000)  # fmt: skip
