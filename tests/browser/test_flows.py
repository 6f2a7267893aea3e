"""The issue's user flows, end to end in Chromium at phone and desktop sizes, axe-core on every page.

A student opens the account-creation email from the SMTP sink, confirms the SEVIS ID, chooses a password,
signs in, changes the password after an upgrade, adds an employer, tries to delete it without the tick
and then with it (keyboard only), updates the address, and reads History and Email History. A DSO then
signs in with TOTP, finds that student, restores the employer, marks the address obligation complete,
downloads the change list and checks its rows, and uses Reset Portal Account. Support looks up the
event history. One fresh student per viewport (tests/browser/seed.py approved their OPT).
"""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import date, datetime, timezone

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, update

from portal.models import User
from portal.models.enums import Role
from portal.services.site_state import REFRESH_SECONDS
from tests.browser.conftest import axe_check, sign_in, sign_in_as, tab_to

NEW_PASSWORD = "violet harbor lantern kite 2031"
UPGRADED_PASSWORD = "copper meadow falcon river 77"


def check(page, what: str) -> None:
    axe_check(page, context=what)


def _heal_forced_change(stack) -> None:
    """The upgrade forces every student's change; the other tests' seeded student must not inherit it."""
    engine = create_engine(stack.database_url)
    with engine.begin() as conn:
        conn.execute(
            update(User.__table__)
            .where(User.__table__.c.role == Role.STUDENT.value)
            .values(password_changed_at=datetime.now(timezone.utc))
        )
    engine.dispose()


def _posted_to(path: str):
    """Matches the answer to a POST to ``path`` (for htmx posts, which swap in place instead of navigating)."""
    return lambda response: response.request.method == "POST" and response.url.split("?")[0].endswith(path)


def _sign_in_page_says_so_within_the_refresh_time(page) -> bool:
    """The CLI is another process: the web server sees its upgrade within REFRESH_SECONDS (services/site_state.py)."""
    deadline = time.monotonic() + REFRESH_SECONDS + 2
    while True:
        page.goto("/")
        if page.locator("#forced-change-notice").is_visible() or time.monotonic() > deadline:
            return page.locator("#forced-change-notice").is_visible()
        page.wait_for_timeout(250)


@pytest.fixture
def fresh(seeded, viewport_name) -> dict:
    return seeded["fresh"][viewport_name]


def test_a_student_creates_the_account_from_the_email_and_reports_changes(
    page, new_page, seeded, fresh, smtp_sink, stack, viewport_name
):
    # -- the account-creation email, read from the SMTP sink ----------------------------------------------
    mail = smtp_sink.wait_for(fresh["email"], subject_contains="Create your")
    links = [link for link in mail.links() if "/account/create/" in link]
    assert links, f"no account-creation link in the email: {mail.text}"
    page.goto(links[0])
    check(page, "account creation")
    page.get_by_label(re.compile(r"^Your SEVIS ID")).fill(fresh["sevis_id"])
    page.get_by_label(re.compile(r"^New password")).fill(NEW_PASSWORD)
    page.get_by_label(re.compile(r"^Type the new password again")).fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Create my account").click()
    check(page, "after account creation")

    # -- sign in ------------------------------------------------------------------------------------------
    page.context.clear_cookies()
    sign_in(page, fresh["email"], NEW_PASSWORD, check=lambda p: check(p, "signing in"))
    assert page.url.endswith("/dashboard"), page.url
    check(page, "dashboard")

    # -- an upgrade forces a new password at the next sign-in -----------------------------------------------
    stack.portal("upgrade", "complete", "--force-password-change", "--note", "Browser test upgrade")
    try:
        page.context.clear_cookies()
        assert _sign_in_page_says_so_within_the_refresh_time(page), "the Sign In page says so"
        sign_in(page, fresh["email"], NEW_PASSWORD, check=lambda p: check(p, "signing in after the upgrade"))
        assert "/password/change" in page.url, page.url
        assert page.locator("#forced-change").is_visible()
        check(page, "forced password change")
        page.get_by_label(re.compile(r"^Current password")).fill(NEW_PASSWORD)
        page.get_by_label(re.compile(r"^New password")).fill(UPGRADED_PASSWORD)
        page.get_by_label(re.compile(r"^Type the new password again")).fill(UPGRADED_PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Change my password").click()
        if page.url.split("?")[0].endswith("/attestation"):
            page.locator("#attestation-form label[for]").first.click()
            with page.expect_navigation():
                page.get_by_role("button", name="Continue").click()
    finally:
        _heal_forced_change(stack)
    assert page.url.endswith("/dashboard"), page.url
    check(page, "dashboard after the change")

    # -- add an employer ----------------------------------------------------------------------------------
    employer = f"Harborview Analytics {viewport_name.title()} LLC"
    page.goto("/employers")
    check(page, "employers")
    with page.expect_navigation():
        page.get_by_role("link", name="Add employer").click()
    check(page, "add employer form")
    form = page.locator("#employer-form")
    form.get_by_label(re.compile(r"^Employer name")).fill(employer)
    form.get_by_label(re.compile(r"^Street address$|^Street address \*")).fill("200 Harbor Way")
    form.get_by_label(re.compile(r"^City")).fill("Boston")
    form.get_by_label(re.compile(r"^State")).select_option("MA")
    form.get_by_label(re.compile(r"^ZIP code")).fill("02110")
    form.locator("label", has_text="Full time").click()
    form.locator("label", has_text="Paid employee").click()
    form.get_by_label(re.compile(r"^Start date")).fill(date.today().isoformat())
    form.get_by_label(re.compile(r"relate|course|degree", re.I)).first.fill("I analyse data with what I learned.")
    form.get_by_role("button", name="Add employer").click()
    page.wait_for_url("**/employers")
    card = page.locator(".usa-card", has_text=employer)
    expect(card).to_be_visible()
    check(page, "employers after adding")

    # -- delete: keyboard only, first without the tick, then with it -----------------------------------------
    tab_to(page, f"el.textContent.trim().startsWith('Delete') && el.textContent.includes({employer!r})")
    page.keyboard.press("Enter")
    dialog = page.locator("#delete-dialog")
    dialog.wait_for()
    check(page, "delete confirmation")
    tab_to(page, "el.type === 'submit' && el.closest('#delete-dialog')")
    page.keyboard.press("Enter")
    page.locator("#delete-dialog .usa-error-message").wait_for()
    assert "never worked" in dialog.inner_text()
    assert card.is_visible(), "without the tick the employer stays"
    check(page, "delete confirmation with the error")
    focused = page.evaluate("() => document.activeElement.type")
    if focused != "checkbox":
        tab_to(page, "el.type === 'checkbox' && el.closest('#delete-dialog')")
    page.keyboard.press("Space")
    tab_to(page, "el.type === 'submit' && el.closest('#delete-dialog')")
    page.keyboard.press("Enter")
    page.locator(".usa-card", has_text=employer).wait_for(state="detached")
    check(page, "employers after deleting")

    # -- update the physical address ---------------------------------------------------------------------------
    page.goto("/contact")
    check(page, "contact")
    physical = page.locator("#physical-section")
    physical.get_by_label(re.compile(r"^Street address$|^Street address \*")).fill("77 Beacon Street")
    physical.get_by_label(re.compile(r"^City")).fill("Boston")
    physical.get_by_label(re.compile(r"^State")).select_option("MA")
    physical.get_by_label(re.compile(r"^ZIP code")).fill("02108")
    physical.get_by_role("button", name="Save physical address").click()
    page.get_by_text(re.compile("physical address was saved", re.I)).first.wait_for()
    check(page, "contact after saving")

    # -- History and Email History --------------------------------------------------------------------------------
    page.goto("/history")
    check(page, "history")
    history = page.locator("main").inner_text()
    assert employer in history and "77 Beacon Street" in history, history[:2000]
    page.goto("/history/emails")
    check(page, "email history")
    assert "Create your" in page.locator("main").inner_text()

    # -- a DSO signs in with TOTP and finds that student ----------------------------------------------------
    dso = new_page()
    sign_in_as(dso, seeded, "dso", check=lambda p: check(p, "DSO signing in"))
    check(dso, "DSO home")
    dso.goto("/admin/students")
    check(dso, "students list")
    dso.get_by_label(re.compile(r"^Search by name")).fill(fresh["surname"])
    with dso.expect_response(lambda r: "/admin/students?" in r.url and "q=" in r.url) as searched:
        dso.get_by_label(re.compile(r"^Search by name")).press("Enter")
    assert searched.value.ok, searched.value.status
    dso.locator("main table").get_by_role("link", name=re.compile(fresh["surname"])).first.wait_for()
    check(dso, "students search results")
    dso.locator("main table").get_by_role("link", name=re.compile(fresh["surname"])).first.click()
    dso.wait_for_url(f"**/admin/students/{fresh['sevis_id']}")
    check(dso, "Student Information")

    # -- restore the employer the student deleted -------------------------------------------------------------
    dso.get_by_role("link", name=f"Restore {employer}").click()
    dso.get_by_role("button", name=f"Yes, restore {employer}").wait_for()
    check(dso, "restore confirmation")
    with dso.expect_navigation():
        dso.get_by_role("button", name=f"Yes, restore {employer}").click()
    expect(dso.get_by_role("link", name=f"Restore {employer}")).to_have_count(0)
    check(dso, "Student Information after the restore")
    page.goto("/employers")
    expect(page.locator(".usa-card", has_text=employer)).to_be_visible()  # the student sees the restored employer

    # -- mark the address obligation complete -------------------------------------------------------------------
    dso.goto("/admin/obligations")
    check(dso, "obligations")
    box = dso.locator("tbody tr", has_text=fresh["sevis_id"]).first.locator("input[type=checkbox]")
    box_id = box.get_attribute("id")
    # The label's words are for screen readers, but the label is the box's size: a pointer ticks it.
    dso.locator(f"label[for={box_id}]").click()
    expect(box).to_be_checked()
    # An htmx post that swaps the list: wait for its answer (the server has committed by then), then for the swap.
    with dso.expect_response(_posted_to("/admin/obligations/complete")) as marked:
        dso.get_by_role("button", name="Mark chosen complete").click()
    assert marked.value.ok, marked.value.status
    expect(dso.locator(f"#{box_id}")).to_have_count(0)
    expect(dso.locator("#obligation-confirmation")).to_contain_text("Marked 1 obligation complete")
    check(dso, "obligations after marking complete")
    dso.goto("/admin/obligations?show=completed")
    assert dso.locator("tbody tr", has_text=fresh["sevis_id"]).count() >= 1
    check(dso, "completed obligations")

    # -- download the change list and check its rows -----------------------------------------------------------------
    dso.goto("/admin/change-lists")
    check(dso, "change lists")
    today = date.today().isoformat()
    dso.get_by_label("From", exact=True).fill(today)
    dso.get_by_label("To", exact=True).fill(today)
    dso.locator("label[for=format-csv]").click()
    with dso.expect_download() as download_info:
        dso.get_by_role("button", name="Download").click()
    text = open(download_info.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    mine = [row for row in rows if row["SEVIS ID"] == fresh["sevis_id"]]
    whats = " | ".join(
        f"{row['What changed']} ({row['Which']}): {row['Field']} {row['Old value']} -> {row['New value']}"
        for row in mine
    )
    assert any(row["Which"] == employer for row in mine), whats
    assert any(row["Field"] == "Street address" and "77 Beacon Street" in row["New value"] for row in mine), whats
    assert len(mine) >= 3, f"add, delete, restore and the address: {whats}"

    # -- Reset Portal Account: a new email with a new link -------------------------------------------------------------
    dso.goto(f"/admin/students/{fresh['sevis_id']}")
    dso.get_by_role("link", name=re.compile("Reset portal account", re.I)).click()
    dso.get_by_role("button", name=re.compile("Yes, reset portal account", re.I)).wait_for()
    check(dso, "Reset Portal Account confirmation")
    with dso.expect_navigation():
        dso.get_by_role("button", name=re.compile("Yes, reset portal account", re.I)).click()
    check(dso, "Student Information after the reset")
    reset_mail = smtp_sink.wait_for(fresh["email"], subject_contains="was reset")
    assert any("/account/create/" in link for link in reset_mail.links())

    # -- support looks up the event history -----------------------------------------------------------------------------
    support = new_page()
    sign_in_as(support, seeded, "support", check=lambda p: check(p, "support signing in"))
    support.goto("/support/")
    check(support, "support desk")
    support.get_by_label(re.compile(r"^Look up a student by name, email or SEVIS ID")).fill(fresh["sevis_id"])
    support.get_by_role("button", name="Look up").click()
    support.wait_for_url(f"**/support/students/{fresh['sevis_id']}*")
    check(support, "support: the student's event history")
    history = support.locator("main").inner_text()
    assert employer in history or "employer" in history.lower(), history[:2000]
