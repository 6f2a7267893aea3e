"""Keyboard-only runs: every control of a form is reached with Tab and operated with keys."""

from datetime import date, timedelta

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_page_scroll, axe_check, sign_in_as, tab_to


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


# -- the student's main flows, keyboard only (issue 13): Tab, Shift+Tab, Enter, Space and typing; no clicks --------
FOCUS_AFTER_SWAP = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return "nothing";
    if (el.closest(".portal-error-summary, .usa-alert--error")) return "error summary";
    const described = (el.closest("[aria-describedby]") || el).getAttribute("aria-describedby") || "";
    if (described.split(" ").some(id => id && document.getElementById(id)?.classList.contains("usa-error-message")))
        return "field with an error";
    if (el.closest("#flashes, .usa-alert--success")) return "confirmation";
    if (el.closest("[data-confirm-dialog]")) return "dialog";
    return el.outerHTML.slice(0, 120);
}"""


def _focus(page) -> str:
    return page.evaluate(FOCUS_AFTER_SWAP)


def _expect_focus(page, where: str) -> None:
    page.wait_for_function(f"() => ({FOCUS_AFTER_SWAP})() === {where!r}")


def _type_into(page, element_id: str, text: str) -> None:
    """Tab to the field (unless focus is there already), clear it and type."""
    if page.evaluate("() => document.activeElement.id") != element_id:
        tab_to(page, f"el.id === {element_id!r}", limit=80)
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    if text:
        page.keyboard.type(text)


def _signed_in_by_keyboard(page, email: str, password: str) -> None:
    page.goto("/")
    tab_to(page, "el.id === 'email'")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if page.url.split("?")[0].endswith("/attestation"):
        tab_to(page, "el.type === 'checkbox'")
        page.keyboard.press("Space")
        tab_to(page, "el.type === 'submit'")
        with page.expect_navigation():
            page.keyboard.press("Enter")


def _press_enter_on(page, predicate_js: str, *, navigates: bool = True) -> None:
    tab_to(page, predicate_js, limit=80)
    if navigates:  # a save answers with htmx's HX-Redirect: the server's work and a full page load (slow when busy)
        with page.expect_navigation(timeout=30_000):
            page.keyboard.press("Enter")
    else:
        page.keyboard.press("Enter")


@pytest.mark.parametrize("viewport_name", ["narrow"], ids=["320px"])
def test_a_student_adds_edits_and_deletes_an_employer_with_the_keyboard_alone_at_320px(page, seeded, viewport_name):
    mine = seeded["keyboard_student"]
    _signed_in_by_keyboard(page, mine["email"], seeded["password"])
    page.goto("/employers")
    axe_check(page, context="employers")
    assert_no_page_scroll(page, context="employers")

    # -- add: first an empty submit, then the whole form ------------------------------------------------------------
    _press_enter_on(page, "el.textContent.trim() === 'Add employer' && el.tagName === 'A'")
    axe_check(page, context="add employer")
    _press_enter_on(page, "el.type === 'submit' && el.closest('#employer-form')", navigates=False)
    page.locator("#employer-form .usa-error-message").first.wait_for()
    _expect_focus(page, "field with an error")  # the htmx swap sends focus to the first field to fix
    axe_check(page, context="add employer with errors")
    assert_no_page_scroll(page, context="add employer with errors")
    new_name = "Keyboard Kites LLC"
    _type_into(page, "name", new_name)
    _type_into(page, "address_line1", "9 Wharf Street")
    _type_into(page, "city", "Boston")
    tab_to(page, "el.id === 'state'")
    page.keyboard.type("Massachusetts")
    assert page.evaluate("() => document.getElementById('state').value") == "MA"
    _type_into(page, "postal_code", "02110")
    tab_to(page, "el.id === 'employment_time-0'")
    page.keyboard.press("Space")
    assert page.evaluate("() => document.getElementById('employment_time-0').checked")
    tab_to(page, "el.id === 'employment_type-0'")
    page.keyboard.press("Space")
    assert page.evaluate("() => document.getElementById('employment_type-0').checked")
    tab_to(page, "el.id === 'start_date'")
    page.keyboard.type(date.today().strftime("%m%d%Y"))
    _type_into(page, "course_relevance", "I build optics test rigs, as in my degree.")
    _press_enter_on(page, "el.type === 'submit' && el.closest('#employer-form')")
    assert page.url.endswith("/employers"), page.url
    expect(page.locator(".usa-card", has_text=new_name)).to_be_visible()
    _expect_focus(page, "confirmation")
    assert f"{new_name} was added" in page.evaluate("() => document.activeElement.textContent")
    axe_check(page, context="employers after adding")

    # -- edit the seeded employer's job title ---------------------------------------------------------------------------
    _press_enter_on(page, f"el.textContent.trim() === 'Edit {mine['employer']}'")
    axe_check(page, context="edit employer")
    assert_no_page_scroll(page, context="edit employer")
    _type_into(page, "job_title", "Senior Optics Analyst")
    _press_enter_on(page, "el.type === 'submit' && el.closest('#employer-form')")
    _expect_focus(page, "confirmation")
    assert f"Your changes to {mine['employer']} were saved" in page.evaluate("() => document.activeElement.textContent")
    expect(page.locator(".usa-card", has_text=mine["employer"])).to_contain_text("Senior Optics Analyst")

    # -- delete the one just added: the dialog takes focus, an unticked box is an error, then the tick ------------------------
    _press_enter_on(page, f"el.textContent.trim() === 'Delete {new_name}'", navigates=False)
    page.locator("#delete-dialog").wait_for()
    _expect_focus(page, "dialog")
    assert page.evaluate("() => document.activeElement.id") == "delete-heading"
    axe_check(page, context="delete dialog")
    assert_no_page_scroll(page, context="delete dialog")
    _press_enter_on(page, "el.type === 'submit' && el.closest('#delete-dialog')", navigates=False)
    page.locator("#delete-dialog .usa-error-message").wait_for()
    _expect_focus(page, "field with an error")
    assert page.evaluate("() => document.activeElement.type") == "checkbox"
    page.keyboard.press("Space")
    _press_enter_on(page, "el.type === 'submit' && el.closest('#delete-dialog')")
    expect(page.locator(".usa-card", has_text=new_name)).to_have_count(0)
    _expect_focus(page, "confirmation")
    assert f"{new_name} was deleted" in page.evaluate("() => document.activeElement.textContent")
    axe_check(page, context="employers after deleting")


@pytest.mark.parametrize("viewport_name", ["narrow"], ids=["320px"])
def test_a_student_updates_the_physical_address_with_the_keyboard_alone_at_320px(page, seeded, viewport_name):
    _signed_in_by_keyboard(page, seeded["keyboard_student"]["email"], seeded["password"])
    page.goto("/contact")
    axe_check(page, context="contact")
    assert_no_page_scroll(page, context="contact")
    _type_into(page, "physical-line1", "77 Beacon Street")
    _type_into(page, "physical-city", "")  # an empty city: the swap puts focus on it
    _press_enter_on(page, "el.type === 'submit' && el.closest('#physical-section')", navigates=False)
    page.locator("#physical-section .usa-error-message").first.wait_for()
    _expect_focus(page, "field with an error")
    assert page.evaluate("() => document.activeElement.id") == "physical-city"
    axe_check(page, context="contact with an address error")
    page.keyboard.type("Cambridge")
    _press_enter_on(page, "el.type === 'submit' && el.closest('#physical-section')")
    _expect_focus(page, "confirmation")
    assert "physical address was saved" in page.evaluate("() => document.activeElement.textContent")
    assert page.evaluate("() => document.getElementById('physical-line1').value") == "77 Beacon Street"
    assert page.evaluate("() => document.getElementById('physical-city').value") == "Cambridge"


@pytest.mark.parametrize("viewport_name", ["desktop"], ids=["desktop"])
def test_a_stem_student_confirms_their_details_with_the_keyboard_alone(page, seeded, viewport_name):
    mine = seeded["keyboard_student"]["stem"]
    _signed_in_by_keyboard(page, mine["email"], seeded["password"])
    page.goto("/dashboard")
    _press_enter_on(page, "el.textContent.trim() === 'Confirm my details'")
    axe_check(page, context="confirm my details")
    expect(page.locator("#details-to-confirm")).to_contain_text(mine["name"])
    _press_enter_on(page, "el.type === 'submit' && el.closest('#confirm-form')", navigates=False)
    page.locator("#confirm-form .usa-error-message").first.wait_for()
    _expect_focus(page, "field with an error")
    assert page.evaluate("() => document.activeElement.id") == "details_correct-0"
    axe_check(page, context="confirm my details with an error")
    page.keyboard.press("Space")  # "Yes, they are all correct"
    _press_enter_on(page, "el.type === 'submit' && el.closest('#confirm-form')")
    assert page.url.endswith("/dashboard"), page.url
    _expect_focus(page, "confirmation")
    assert "Your school has your confirmation" in page.evaluate("() => document.activeElement.textContent")
    expect(page.get_by_role("link", name="Confirm my details")).to_have_count(0)
    axe_check(page, context="dashboard after confirming")
