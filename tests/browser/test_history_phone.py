"""History on a 320 px phone (issue 13): events first with the filters folded away, rows stacked, no word broken."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import axe_check, sign_in_as

# Words drawn on two lines ("Befo re" has rects on two lines): any in a label (th), any ordinary word in a value (an
# email address may break to fit).
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll(".portal-history-changes th, .portal-history-changes td")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent;
      for (const match of text.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
        if (tops.size > 1 && (cell.tagName === "TH" || match[0].length < 20)) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


def test_history_at_320_px_shows_events_first_stacks_rows_and_breaks_no_word(browser, base_url, seeded):
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": 320, "height": 640},
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        timezone_id="America/New_York",
    )
    page = context.new_page()
    page.console_problems = []
    page.on("pageerror", lambda error: page.console_problems.append(f"uncaught: {error}"))
    try:
        sign_in_as(page, seeded, "student")
        page.goto("/contact")  # a change with a before and an after, for a stacked table
        page.locator("#phone-section").get_by_label(re.compile(r"^Phone")).fill("617 555 0142")
        page.get_by_role("button", name="Save phone").click()
        page.get_by_text(re.compile("phone number was saved", re.I)).first.wait_for()
        page.goto("/history")
        filters = page.locator("#history-filters")
        expect(filters).to_be_hidden()  # folded: the events come first
        expect(page.locator(".portal-history-item").first).to_be_visible()
        expect(page.locator("#history-events h2").first).to_be_visible()  # a day heading
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
        wide = page.evaluate("""() => [...document.querySelectorAll('.portal-table-scroll')]
            .filter(box => box.scrollWidth > box.clientWidth)
            .map(box => [box.scrollWidth, box.clientWidth, box.innerText.slice(0, 200)])""")
        assert wide == []  # no table needs its own scroll at 320 px
        assert page.locator(".portal-history-changes").count() > 0
        stacked = "document.querySelector('.portal-history-changes.usa-table--stacked-header td')"
        assert page.evaluate(f"() => getComputedStyle({stacked}).display") == "block"  # label above value
        assert page.evaluate(f"() => {stacked}.getBoundingClientRect().width") > 250  # the row's whole width
        assert page.evaluate(BROKEN_WORDS) == []
        axe_check(page, context="history at 320 px")

        toggle = page.get_by_role("button", name="Show only some kinds of events")
        toggle.click()
        expect(filters).to_be_visible()
        page.get_by_text("Program record", exact=True).click()  # the label: htmx swaps only the list
        expect(page.locator("#history-events")).to_contain_text("of the kinds you chose")
        assert "kind=program" in page.url
        toggle.click()  # USWDS still drives the accordion after the swap
        expect(filters).to_be_hidden()
        assert page.console_problems == []
    finally:
        context.close()
