"""Lighthouse (npm, package-lock.json) against Debian's Chromium at its mobile settings, on the student pages
a signed-in student uses: accessibility 100 and best practices at least 95 (issue 13)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.browser.conftest import CHROMIUM, sign_in_as
from tests.browser.harness import ROOT

SCRIPT = ROOT / "tests" / "browser" / "lighthouse_scores.mjs"
STUDENT_PAGES = ["/dashboard", "/employers", "/contact", "/history", "/documents"]
NODE = shutil.which("node")
LIGHTHOUSE = ROOT / "node_modules" / "lighthouse" / "package.json"

pytestmark = pytest.mark.skipif(
    NODE is None or not LIGHTHOUSE.exists(),
    reason="Lighthouse needs Node.js and node_modules/lighthouse: run `make assets` (npm ci from package-lock.json).",
)


@pytest.fixture(params=["narrow"], ids=["mobile"])
def viewport_name(request):
    """Lighthouse emulates its own phone; the browser page here only signs the student in."""
    return request.param


def test_the_student_pages_score_100_for_accessibility_and_95_for_best_practices(page, seeded, base_url):
    sign_in_as(page, seeded, "student")
    page.goto("/dashboard")
    assert page.url.endswith("/dashboard"), page.url
    cookies = json.dumps([{"name": c["name"], "value": c["value"]} for c in page.context.cookies()])
    urls = [base_url.rstrip("/") + path for path in STUDENT_PAGES]
    done = subprocess.run(
        [NODE, str(SCRIPT), str(CHROMIUM), cookies, *urls], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"Lighthouse did not run:\n{done.stderr[-3000:]}"
    results = json.loads(done.stdout)
    problems = []
    for url in urls:
        result = results[url]
        assert result["finalUrl"].split("?")[0] == url, f"Lighthouse was sent elsewhere (not signed in?): {result}"
        scores = result["scores"]
        if scores["accessibility"] < 100 or scores["best-practices"] < 95:
            problems.append(f"{url}: {scores}\n    " + "\n    ".join(result["failing"]))
    assert not problems, "Lighthouse at mobile settings:\n" + "\n".join(problems)
