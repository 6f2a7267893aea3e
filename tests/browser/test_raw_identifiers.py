"""No raw identifier on any page: every GET page of every role, at 320 px and 1280 px, reads as words.

A person reads "Full time", "No" and "September 7, 2027", never ``full_time``, ``False``, ``None`` or ``2027-09-07``.
The pages come from the app's url_map (``every_get_page`` in conftest.py, as the axe sweep's do), so a new page is
swept the day it is added; the check reads ``document.body.innerText``, the text a person sees (not attributes, not
hidden elements).
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ROLES, _new_context, every_get_page, sign_in_as

WIDTHS = {"320px": {"width": 320, "height": 640}, "1280px": {"width": 1280, "height": 800}}

RAW = {
    "snake_case": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "True/False": re.compile(r"\b(?:True|False)\b"),
    "None": re.compile(r"(?m)^\s*None\s*$|\bNone(?=\s*(?:[·|,]|$))"),  # "None" as a value; "None on file: ..." is prose
    "ISO date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
}

# Text that looks like an identifier but is what a person reads and types. Keep this list short; comment each.
ALLOWED = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # an email address (seeded ones may hold underscores)
    re.compile(r"\b[\w.-]+\.(?:pdf|png|jpe?g|csv|xlsx|xml|txt)\b", re.I),  # a file name someone uploaded or downloads
    re.compile(r"https?://\S+"),  # a link shown as text (the feed's endpoint, a reference URL)
    re.compile(r"First line: [a-z_, ]+\."),  # onboarding: the CSV's column names, which the file must use as written
    re.compile(r"\bExample: \d{4}-\d{2}-\d{2}\b|\blike \d{4}-\d{2}-\d{2}\b"),  # a hint showing how to type a date
]


def _raw_identifiers(text: str) -> list[str]:
    for allowed in ALLOWED:
        text = allowed.sub(" ", text)
    found = []
    for name, pattern in RAW.items():
        for match in pattern.finditer(text):
            start = max(0, match.start() - 40)
            context = text[start : match.end() + 40].replace("\n", " ⏎ ")
            found.append(f"{name} {match.group(0).strip()!r} in …{context}…")
    return found


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def sized_page(request, browser, base_url):
    context = _new_context(browser, base_url, "desktop")
    page = context.new_page()
    page.set_viewport_size(WIDTHS[request.param])
    yield page
    context.close()


@pytest.mark.parametrize("role", ROLES)
def test_no_page_shows_a_raw_identifier(sized_page, seeded, role):
    page = sized_page
    if role != "anonymous":
        sign_in_as(page, seeded, role)
    visited, failures = [], []
    for url, _response in every_get_page(page, seeded, role):
        visited.append(url)
        failures += [f"{url}: {problem}" for problem in _raw_identifiers(page.evaluate("document.body.innerText"))]
    assert visited, f"no page visited as {role}"
    assert not failures, "\n".join(dict.fromkeys(failures))
