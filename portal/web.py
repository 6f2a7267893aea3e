"""How a route answers: full page or htmx partial, redirect or swap, error pages, response headers."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, Response, abort, make_response, redirect, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, ValidationError

from portal.extensions import db, htmx
from portal.forms.rendering import input_attrs, use_fast_html_params
from portal.services.clock import EASTERN
from portal.services.errors import DomainError
from portal.services.labels import (
    document_label,
    event_label,
    event_title,
    field_label,
    label,
    read_only_access_until,
    template_title,
    value_words,
)
from portal.services.passwords import HashingBusy
from portal.services.validation import MAX_ID, bounded_int
from portal.services.words import file_size, number_in_words, opt_state_in_words, phone_number

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


# The primary navigation of each role, in order; everyone also gets Account security (layout.html).
NAV_LINKS = {
    "student": (
        ("/dashboard", "Dashboard"),
        ("/employers", "Employers"),
        ("/contact", "Contact"),
        ("/history", "History"),
        ("/documents", "Documents"),
        ("/problems", "Report a problem"),
    ),
    "dso": (
        ("/admin/", "Overview"),
        ("/admin/students", "Students"),
        ("/admin/obligations", "Obligations"),
        ("/admin/change-lists", "Change lists"),
        ("/admin/communications", "Communications"),
        ("/admin/officials", "Officials"),
        ("/admin/onboarding", "Onboarding"),
    ),
    "support": (("/support/", "Support"),),
    "operator": (("/operator/", "Operator"),),
}
NAV_LINKS["principal_dso"] = (*NAV_LINKS["dso"], ("/admin/feed-tokens", "Feed tokens"))
ACCOUNT_LINK = ("/account/security", "Account security")


class BoundedIntegerConverter(IntegerConverter):
    """<int:...> in every route: a number no row can have (past MAX_ID, or too many digits to convert) is a 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002  (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> int:
        if len(value.lstrip("-")) > len(str(self.max)):
            raise ValidationError()
        return super().to_python(value)


def page_arg(name: str = "page", *, maximum: int = 100_000) -> int:
    """A page number from the query string: 1 when absent or not a number, a 404 when out of range (0, or past
    ``maximum``, which also keeps the OFFSET within what the database takes)."""
    raw = (request.args.get(name) or "").strip()
    if not raw or not raw.isascii() or not raw.isdigit():
        return 1
    page = bounded_int(raw, minimum=1, maximum=maximum)
    if page is None:
        abort(404)
    return page


def nav_links(role: str) -> tuple[tuple[str, str], ...]:
    """The (path, label) pairs of the primary navigation for ``role``."""
    return (*NAV_LINKS.get(role, ()), ACCOUNT_LINK)


def wants_partial() -> bool:
    """An htmx request that is not a history restore gets the fragment; everything else the page."""
    return bool(htmx) and not htmx.history_restore_request


def render_page_or_partial(page: str, partial: str, *, status: int = 200, **context) -> Response:
    """Render ``partial`` for htmx and ``page`` (which includes the partial) for everyone else."""
    template = partial if wants_partial() else page
    response = make_response(render_template(template, **context), status)
    return response


def redirect_or_swap(url: str, partial: str | None = None, **context) -> Response:
    """After a successful post: htmx swaps ``partial`` in place (or follows HX-Redirect); a plain form redirects."""
    if wants_partial():
        if partial is None:
            response = make_response("", 204)
            response.headers["HX-Redirect"] = url
            return response
        return make_response(render_template(partial, **context))
    return redirect(url, code=303)


def format_eastern(value: datetime | None, fmt: str = "%b %-d, %Y %-I:%M %p %Z") -> str:
    """Show a stored UTC timestamp in US Eastern time, with the zone (DESIGN: shape of the code)."""
    if value is None:
        return ""
    return value.astimezone(EASTERN).strftime(fmt)


def _error_response(code: int, title: str, message: str) -> Response:
    if wants_partial():
        body = render_template("errors/_error_alert.html", code=code, title=title, message=message)
    else:
        body = render_template("errors/error.html", code=code, title=title, message=message)
    return make_response(body, code)


ERROR_TITLES = {
    400: ("Something was wrong with that request", "Go back, check what you entered and try again."),
    401: ("Sign in required", "Sign in to continue."),
    403: ("You cannot do that", "Your account does not have access to this page or action."),
    404: ("Page not found", "There is nothing here, or it is not yours to see. Check the address."),
    405: ("That action is not available here", "Use the buttons and forms on the page."),
    409: ("That changed in the meantime", "Reload the page to see the current information."),
    413: ("File or form too large", "Upload a smaller file. The limit is shown beside the upload field."),
    422: ("Please correct the form", "Something you entered needs another look."),
    429: ("Too many attempts", "Wait a few minutes and try again, or reset your password from the sign-in page."),
    500: ("Something went wrong on our side", "Nothing you did caused this. Try again in a few minutes."),
    503: ("The portal is not available right now", "Try again later."),
}


def register_web_hooks(app: Flask) -> None:
    """Error pages for every status, Vary: HX-Request, security headers, template helpers."""

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return _error_response(
            400,
            "Your form expired",
            "For your security, forms expire after an hour or when you sign in again. "
            "Reload the page and submit the form again.",
        )

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        title = ERROR_TITLES.get(error.status_code, ERROR_TITLES[422])[0]
        return _error_response(error.status_code, title, error.message)

    @app.errorhandler(HashingBusy)
    def _hashing_busy(error: HashingBusy):
        """Every hashing slot stayed taken: 503 with Retry-After; the request wrote nothing, so nothing is kept."""
        db.session.rollback()
        template = "errors/_busy_alert.html" if wants_partial() else "errors/busy.html"
        response = make_response(render_template(template, retry_after=error.retry_after), 503)
        response.headers["Retry-After"] = str(error.retry_after)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        title, message = ERROR_TITLES.get(error.code, (error.name, error.description or ""))
        response = _error_response(error.code, title, message)
        if error.code == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        if isinstance(error.description, str) and error.code == 429:
            response.headers.setdefault("Retry-After", "60")
        return response

    @app.errorhandler(Exception)
    def _unexpected_error(error: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _error_response(500, *ERROR_TITLES[500])

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        if "Vary" in headers:
            response.vary.add("HX-Request")
        else:
            headers.add("Vary", "HX-Request")
        present = {name.lower() for name in headers.keys()}
        for name, value in SECURITY_HEADERS:  # each unless the response set its own (what setdefault does)
            if name.lower() not in present:
                headers.add(name, value)
        if request.endpoint != "static" and "cache-control" not in present:
            if current_user and current_user.is_authenticated:
                headers["Cache-Control"] = "no-store"
        return response

    app.jinja_env.filters["eastern"] = format_eastern
    app.jinja_env.filters["event_label"] = event_label
    app.jinja_env.filters["document_label"] = document_label
    app.jinja_env.filters["in_words"] = number_in_words
    app.jinja_env.filters["phone_number"] = phone_number
    app.jinja_env.filters["file_size"] = file_size
    app.jinja_env.filters["opt_state"] = opt_state_in_words
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["template_title"] = template_title
    app.jinja_env.filters["field_label"] = field_label
    app.jinja_env.filters["read_only_access_until"] = read_only_access_until
    app.jinja_env.filters["event_title"] = event_title
    app.jinja_env.filters["value_words"] = value_words
    app.jinja_env.globals["wants_partial"] = wants_partial
    app.jinja_env.globals["input_attrs"] = input_attrs
    app.jinja_env.globals["nav_links"] = nav_links
    use_fast_html_params()
