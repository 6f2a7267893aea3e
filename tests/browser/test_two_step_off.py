"""Turning two-step verification off: a student does it in the confirmation dialog, by label and keyboard; a DSO
does it for a student who lost both the phone and the recovery codes, from Student Information.

The first test uses the seeded student of the other school, whom no other browser test signs in as; it ends as it
began (off). The second uses one seeded student per viewport whose two-step verification is on.
"""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_check, sign_in, sign_in_as


def test_a_student_turns_two_step_verification_on_and_off_again(page, seeded):
    sign_in(page, seeded["other_student"]["email"], seeded["password"])
    page.goto("/mfa/setup")
    with page.expect_navigation():
        page.get_by_role("button", name="Start setup").click()  # the first visit shows no key until this POST
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


def test_a_dso_turns_it_off_for_a_student_who_lost_the_phone_and_the_recovery_codes(
    page, new_page, seeded, lost, smtp_sink
):
    # The student is signed in on some device (with the authenticator they had then).
    student = new_page()
    seeded["stack"].forget_used_totp_codes()
    sign_in(student, lost["email"], seeded["password"], mfa_secret=seeded["mfa_secret"])
    student.goto("/account/security")
    expect(student.get_by_role("link", name="Turn off two-step verification")).to_be_visible()

    sign_in_as(page, seeded, "dso")
    info = f"/admin/students/{lost['sevis_id']}"
    page.goto(f"{info}/account/clear_mfa")  # the confirmation as a page, for a browser without JavaScript
    expect(page.get_by_role("button", name="Yes, turn off two-step verification")).to_be_enabled()
    axe_check(page, context="turn off for a student: confirmation page")

    page.goto(info)
    page.get_by_role("link", name="Turn off two-step verification").click()
    dialog = page.get_by_role("dialog", name="Turn off two-step verification")
    expect(dialog).to_contain_text("Check first that it is the student asking")
    axe_check(page, context="turn off for a student: dialog")
    with page.expect_navigation():
        dialog.get_by_role("button", name="Yes, turn off two-step verification").click()
    assert page.url.endswith(info), page.url
    expect(page.get_by_text("Turn off two-step verification: done.")).to_be_visible()
    expect(page.get_by_role("button", name="Turn off two-step verification")).to_be_disabled()
    expect(page.locator("#why-clear_mfa")).to_have_text("Two-step verification is not turned on.")
    axe_check(page, context="Student Information after turning it off")

    notice = smtp_sink.wait_for(lost["email"], subject_contains="turned off two-step verification")
    assert "Your school's DSO turned off" in notice.text
    student.goto("/account/security")
    assert "/?next=" in student.url, f"the student's session ended, so Sign In: {student.url}"
    student.context.clear_cookies()
    sign_in(student, lost["email"], seeded["password"])  # no code asked for: it fails on /mfa/verify otherwise
    assert "/mfa/verify" not in student.url and "Page not found" not in student.title(), student.url


@pytest.fixture
def lost(seeded, viewport_name) -> dict:
    return seeded["lost_phone"][viewport_name]


def _wait_for_focus(page, element_id: str) -> None:
    page.wait_for_function(
        "(id) => document.activeElement && document.activeElement.id === id", arg=element_id, timeout=5_000
    )
