"""The browser harness: the real app under gunicorn, the worker, an SMTP sink, and Chromium.

One stack and one browser per session (2 cores: keep it lean); a new browser context per
test, at a phone size (375x667) and a desktop size (1280x800); "narrow" (320x640) on request. A failing test leaves a
screenshot and the server logs in test-artifacts/. ``axe_check(page)`` runs axe-core
(WCAG 2.1 A/AA and Section 508 rules) and fails on any violation; flows call it on every
page they visit.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import sync_playwright

from portal import create_app
from portal.config import TestConfig
from tests.browser.harness import ROOT, SmtpSink, Stack

CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "section508"]
VIEWPORTS = {"phone": {"width": 375, "height": 667}, "desktop": {"width": 1280, "height": 800}}
# The narrowest phone we support (WCAG 1.4.10 reflow): the every-page sweep and some keyboard runs use it.
SIZES = {**VIEWPORTS, "narrow": {"width": 320, "height": 640}}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


# -- the stack ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def stack(postgres_server, tmp_path_factory, smtp_sink) -> Iterator[Stack]:
    """A fresh database (SQLite file, or a database on the session's PostgreSQL), migrated and seeded;
    gunicorn on a free loopback port; the worker when ``portal worker`` exists."""
    if postgres_server is not None:
        database_url = postgres_server.create_database("portal_browser")
    else:
        database_url = f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'portal.db'}"
    logs = ARTIFACTS / "server-logs"
    logs.mkdir(parents=True, exist_ok=True)
    stack = Stack(
        database_url,
        smtp_port=smtp_sink.port,
        workers=1,
        threads=4,
        log_dir=logs,
        extra_env={"SIGN_IN_RATE_LIMIT": "1000 per minute", "LINK_RATE_LIMIT": "1000 per minute"},
    )
    try:
        stack.migrate()
        stack.seeded = stack.seed()
        stack.seeded["stack"] = stack
        stack.start_web()
        stack.has_worker = stack.start_worker()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def seeded(stack) -> dict:
    """What tests/browser/seed.py created: accounts by role (password ``seeded['password']``), students."""
    return stack.seeded


@pytest.fixture(scope="session")
def base_url(stack) -> str:
    return stack.base_url


# -- the browser ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make system-deps` (apt-get install chromium).")

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _new_context(browser, base_url: str, size: str):
    viewport = SIZES[size]
    phone = size != "desktop"
    context = browser.new_context(
        base_url=base_url,
        viewport=viewport,
        is_mobile=phone,
        has_touch=phone,
        accept_downloads=True,
        locale="en-US",
        timezone_id="America/New_York",
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport_name(request) -> str:
    return request.param


@pytest.fixture
def page(request, browser, base_url, viewport_name):
    """A page in a fresh context (no cookies) at the test's viewport; a screenshot when the test fails."""
    context = _new_context(browser, base_url, viewport_name)
    page = context.new_page()
    page.console_problems = []
    page.on("console", lambda message: message.type == "error" and page.console_problems.append(message.text))
    page.on("pageerror", lambda error: page.console_problems.append(f"uncaught: {error}"))
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.html").write_text(page.content())
        except Exception as error:  # a crashed page must not hide the test's own failure
            print(f"could not save a screenshot: {error}")
    context.close()


@pytest.fixture
def new_page(browser, base_url, viewport_name):
    """Open further pages in fresh contexts (a second person in the same test)."""
    contexts = []

    def _open():
        context = _new_context(browser, base_url, viewport_name)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


# -- helpers the flows share ----------------------------------------------------------------
AXE_SCRIPT = "/static/vendor/axe/axe.min.js"


def axe_check(page, *, context: str = "") -> None:
    """Run axe-core on the page as it is now; fail on any WCAG 2.1 A/AA or Section 508 violation.

    axe is loaded from the app's own static folder, so the page's Content-Security-Policy stays
    on; a CSP violation or an uncaught script error on the page fails the check too.
    """
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_SCRIPT)
    violations = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary)}));
        }""",
        AXE_TAGS,
    )
    where = f"{context or ''} {page.url}".strip()
    assert violations == [], f"axe found {len(violations)} violation(s) on {where}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in violations
    )
    problems = [text for text in getattr(page, "console_problems", []) if _is_script_problem(text)]
    assert problems == [], f"script errors or CSP violations on {where}: {problems}"


def _is_script_problem(text: str) -> bool:
    # A 4xx/5xx page logs "Failed to load resource" for itself; that is the page under test, not a fault.
    return not text.startswith("Failed to load resource")


def sign_in(page, email: str, password: str, *, mfa_secret: str | None = None, check=None) -> None:
    """Sign in through the real form, by label, as a person would, and finish the steps that follow:
    the TOTP code (from ``mfa_secret``) and the student's attestation. ``check(page)`` runs on each page."""
    check = check or (lambda _page: None)
    page.goto("/")
    check(page)
    page.get_by_label(re.compile(r"^Email address")).fill(email)
    page.get_by_label(re.compile(r"^Password\b")).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if page.title().startswith("Page not found"):
        # The role's home page is not built on this branch yet, and a 404 skips the sign-in steps;
        # a page that exists for everyone signed in shows them.
        page.goto("/account/security")
    if page.url.split("?")[0].endswith("/mfa/verify"):
        assert mfa_secret, f"{email} needs a TOTP code"
        check(page)
        page.get_by_label(re.compile(r"code", re.I)).first.fill(pyotp.TOTP(mfa_secret).now())
        with page.expect_navigation():
            page.get_by_role("button", name="Verify").click()
    if page.url.split("?")[0].endswith("/attestation"):
        check(page)
        page.locator("#attestation-form label[for]").first.click()
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()


def sign_in_as(page, seeded: dict, role: str, **options) -> None:
    """Sign in as the seeded account of ``role`` (student, dso, principal_dso, support, operator)."""
    seeded["stack"].forget_used_totp_codes()
    sign_in(page, seeded["users"][role], seeded["password"], mfa_secret=seeded["mfa_secret"], **options)


def assert_no_page_scroll(page, *, context: str = "") -> None:
    """Fail when the page itself scrolls sideways (WCAG 1.4.10). Tables inside .portal-table-scroll
    scroll in their own box on purpose and are allowed; their box must still fit the page."""
    overflow = page.evaluate(
        """() => {
            // clientWidth is the layout viewport: on a phone an overflowing page zooms out, which widens innerWidth.
            const html = document.documentElement, width = Math.min(window.innerWidth, html.clientWidth);
            if (html.scrollWidth <= width) return null;
            const wide = [];
            for (const el of document.body.querySelectorAll("*")) {
                if (el.closest(".portal-table-scroll") && !el.matches(".portal-table-scroll")) continue;
                const box = el.getBoundingClientRect();
                if (box.right > width + 0.5 && box.width > 0 && getComputedStyle(el).visibility !== "hidden") {
                    wide.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")}`
                              + ` right=${Math.round(box.right)}`);
                }
            }
            return {scrollWidth: html.scrollWidth, width, wide: wide.slice(-6)};
        }"""
    )
    where = f"{context or ''} {page.url}".strip()
    assert overflow is None, f"the page scrolls sideways on {where}: {overflow}"


def tab_to(page, predicate_js: str, *, limit: int = 60) -> int:
    """Press Tab until ``predicate_js`` (a JS expression on ``el`` = document.activeElement) is true."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({predicate_js}); }}"):
            return presses
    raise AssertionError(f"Tab never reached an element where {predicate_js} within {limit} presses")


@pytest.fixture
def axe():
    return axe_check


# -- every GET page -------------------------------------------------------------------------
ROLES = ["anonymous", "student", "dso", "principal_dso", "support", "operator"]
SKIP_ENDPOINTS = {"static", "health.healthz"}
DOWNLOADS = {"csv", "xlsx", "xml", "pdf", "json"}  # files, not pages (the flows check their contents)


@functools.cache
def get_routes() -> list[tuple[str, tuple, set[str] | None]]:
    """Every GET route of the app's url_map: its path, its arguments, and the roles it allows (None: everyone)."""
    app = create_app(TestConfig)
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS or rule.endpoint.endswith(".static"):
            continue
        view = app.view_functions[rule.endpoint]
        allowed = getattr(view, "allowed_roles", None)
        routes.append((rule.rule, rule.arguments, None if allowed is None else {str(role) for role in allowed}))
    return sorted(routes)


def _fill(path: str, arguments: set[str], seeded: dict) -> str | None:
    values = {"sevis_id": seeded["student"]["sevis_id"]}
    if not arguments <= values.keys():
        return None
    for name in arguments:
        path = path.replace(f"<{name}>", values[name]).replace(f"<string:{name}>", values[name])
    return path


def every_get_page(page, seeded: dict, role: str) -> Iterator[tuple[str, object]]:
    """Open every GET page ``role`` may open, one after another, and yield ``(url, response)`` for each that answers
    with HTML (whatever its status).

    A route guarded by ``roles_required`` is opened by the roles it allows; an unguarded one by everyone. Path
    parameters are filled from the seeded data when we know what they mean; other parameterised routes are reached by
    the user flows instead. Routes that answer with a file are skipped.
    """
    for path, arguments, allowed in get_routes():
        if allowed is not None and role not in allowed:
            continue
        url = _fill(path, set(arguments), seeded)
        if url is None or url.rsplit(".", 1)[-1] in DOWNLOADS:
            continue
        if hasattr(page, "console_problems"):
            page.console_problems.clear()  # a file shown on its own (the favicon) logs about its viewer, not a page
        try:
            response = page.goto(url)
        except Exception as error:  # a route that answers with a file: not a page
            if "Download is starting" in str(error):
                continue
            raise
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        yield url, response
