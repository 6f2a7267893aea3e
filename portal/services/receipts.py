"""The student's receipt for what they reported (issue 6): employer and contact changes, in the caller's transaction."""

from __future__ import annotations

from datetime import date
from enum import Enum

from sqlalchemy.orm import Session

from portal.mail.outbox import queue_email
from portal.models import Student
from portal.services.actors import Actor
from portal.services.clock import today_eastern
from portal.services.labels import label

LONGEST_VALUE = 80
NONE = "(none)"


def show(value) -> str:
    """A value as the receipt prints it: dates written out, yes/no, enums in words, long text shortened."""
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return f"{value:%B} {value.day}, {value.year}"
    if isinstance(value, Enum):
        value = label(value)
    text = " ".join(str(value).split())
    return text if len(text) <= LONGEST_VALUE else text[: LONGEST_VALUE - 1].rstrip() + "…"


def changed_line(label: str, before, after) -> str:
    """One field's before and after, like 'Job title: Data Analyst → Senior Analyst'."""
    return f"{label}: {show(before)} → {show(after)}"


def queue_report_receipt(
    session: Session, student: Student, changes: list[str], *, about: str, actor: Actor, today: date | None = None
) -> None:
    """Email the student what they just reported; nothing when a DSO, support or the data feed made the change.

    ``about`` finishes the subject "We received your ..." ("new employer: Acme Corp", "phone number change"), so
    Email History tells one receipt from another.
    """
    if not actor.is_student or not changes:
        return
    today = today or today_eastern()
    queue_email(
        session,
        template="report_receipt",
        to=student.email,
        student=student,
        context={
            "student_name": student.full_name,
            "reported_on": show(today),
            "changes": changes,
            "about": show(about),
        },
    )
