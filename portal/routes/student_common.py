"""Helpers the student blueprints share: who the student is, what they may do, errors onto form fields."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import inspect

from portal.extensions import db
from portal.services.access import StudentAccess, access_for, student_access, today_eastern
from portal.services.errors import DomainError


def current_student():
    """The signed-in student's record (the guard has already checked the role)."""
    return current_user.student


def current_access() -> StudentAccess:
    """What the signed-in student may see and do today, from the program records loaded with the session."""
    student = current_student()
    if "program_records" in inspect(student).unloaded:
        return student_access(db.session, student)
    return access_for(student, list(student.program_records), today_eastern())


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
