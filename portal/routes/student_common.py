"""Helpers the student blueprints share: who the student is, what they may do, errors onto form fields."""

from __future__ import annotations

from flask import g, url_for
from flask_login import current_user

from portal.extensions import db
from portal.services.access import ClosedAccount, StudentAccess, closed_account, student_access
from portal.services.errors import DomainError
from portal.web import render_page_or_partial, wants_partial


def current_student():
    """The signed-in student's record (the guard has already checked the role)."""
    return current_user.student


def current_access() -> StudentAccess:
    """What the signed-in student may see and do today: their timeline, read once per request."""
    if "student_access" not in g:
        g.student_access = student_access(db.session, current_student())
    return g.student_access


def closed_page(notice: ClosedAccount):
    """DESIGN rule 5: the page a student whose access has closed gets instead of any data (403).

    htmx does not swap a 403, so an htmx request is told to load the dashboard, which answers with this page.
    """
    response = render_page_or_partial("auth/access_closed.html", "auth/_access_closed.html", status=403, notice=notice)
    if wants_partial():
        response.headers["HX-Redirect"] = url_for("dashboard.index")
    return response


def refuse_closed_student():
    """The closed page when the signed-in student's access has closed today; None while it is open."""
    notice = closed_account(db.session, current_access())
    return closed_page(notice) if notice is not None else None


def attach_error(form, error: DomainError) -> str | None:
    """Put a service error on its form field; returns the message when it belongs to no field (for the summary)."""
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
        return None
    return error.message


def posted_version(raw, *, allow_empty: bool = False) -> int | None:
    """The row version a form carried; a tampered value counts as stale (409), never a 500."""
    if allow_empty and (raw is None or raw == ""):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return -1
