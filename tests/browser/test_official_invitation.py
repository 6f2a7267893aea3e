"""A new official follows the invitation email to a working sign-in with two-step verification (issue 12, finding 6):
the principal appoints them, the email's link sets a password (no SEVIS ID), the first sign-in enrols an authenticator,
and the next sign-in asks for its code. axe runs on every page."""

import re

import pyotp
from playwright.sync_api import expect

from tests.browser.conftest import axe_check, sign_in, sign_in_as

NEW_PASSWORD = "quiet lantern orchard ninety"


def test_a_new_official_follows_the_invitation_to_a_sign_in_with_two_step_verification(
    page, new_page, seeded, smtp_sink, viewport_name
):
    email, name = f"new.official.{viewport_name}@browser.example.edu", f"Jordan Reyes {viewport_name.title()}"
    sign_in_as(page, seeded, "principal_dso")
    page.goto("/admin/officials")
    axe_check(page, context="officials")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Work email").fill(email)
    page.get_by_role("button", name="Appoint").click()
    expect(page.locator("#officials-confirmation .usa-alert")).to_contain_text(f"{name} is appointed")
    expect(page.get_by_role("button", name=f"Revoke the invitation of {name}")).to_be_visible()
    axe_check(page, context="officials after appointing")

    mail = smtp_sink.wait_for(email, subject_contains="invited to be a school official")
    links = [link for link in mail.links() if "/account/create/" in link]
    assert links, f"no invitation link in the email: {mail.text}"
    official = new_page()
    official.goto(links[0])
    axe_check(official, context="invitation")
    expect(official.get_by_role("heading", name="Set up your official account")).to_be_visible()
    expect(official.get_by_label(re.compile("SEVIS", re.I))).to_have_count(0)
    official.get_by_label(re.compile(r"^New password")).fill(NEW_PASSWORD)
    official.get_by_label(re.compile(r"^Type the new password again")).fill(NEW_PASSWORD)
    with official.expect_navigation():
        official.get_by_role("button", name="Set my password").click()
    expect(official.get_by_text("you will then set up two-step verification")).to_be_visible()
    axe_check(official, context="sign-in after setting the password")

    official.get_by_label(re.compile(r"^Email address")).fill(email)
    official.get_by_label(re.compile(r"^Password\b")).fill(NEW_PASSWORD)
    with official.expect_navigation():
        official.get_by_role("button", name="Sign in").click()
    assert official.url.split("?")[0].endswith("/mfa/setup"), "an official must set up two-step verification first"
    axe_check(official, context="two-step setup, before the key is made")
    with official.expect_navigation():
        official.get_by_role("button", name="Start setup").click()
    assert official.url.split("?")[0].endswith("/mfa/setup")
    axe_check(official, context="two-step setup")
    secret = official.locator("#mfa-secret").inner_text().strip()
    official.get_by_label(re.compile(r"^Code")).fill(pyotp.TOTP(secret).now())
    with official.expect_navigation():
        official.get_by_role("button", name="Turn on two-step verification").click()
    axe_check(official, context="recovery codes")
    with official.expect_navigation():
        official.get_by_role("link", name="I saved them, continue").click()
    assert official.url.split("?")[0].endswith("/admin/")
    axe_check(official, context="the new official's overview")

    # Another device: the next sign-in asks for the authenticator's code.
    again = new_page()
    seeded["stack"].forget_used_totp_codes()
    sign_in(again, email, NEW_PASSWORD, mfa_secret=secret, check=lambda shown: axe_check(shown, context="sign-in"))
    assert again.url.split("?")[0].endswith("/admin/"), again.url
    page.goto("/admin/officials")
    expect(page.locator("tr", has_text=email)).to_contain_text("Password set")
    axe_check(page, context="officials after the new official signed in")
