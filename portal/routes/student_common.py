"""Helpers the student blueprints share: who the student is, what they may do, errors onto form fields."""

from __future__ import annotations

from flask_login import current_user

from portal.extensions import db
from portal.services.access import StudentAccess, student_access
from portal.services.errors import DomainError


def current_student():
    """The signed-in student's record (the guard has already checked the role)."""
    return current_user.student


def current_access() -> StudentAccess:
    return student_access(db.session, current_student())


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
