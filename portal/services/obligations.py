"""Reporting obligations: what the school must record in SEVIS, and by when (rule 15)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Event, ReportingObligation, Student
from portal.models.enums import ObligationKind


def add_obligation(
    session: Session,
    student: Student,
    *,
    kind: ObligationKind,
    due_on: date,
    description: str,
    window_opens_on: date | None = None,
    source_event: Event | None = None,
) -> ReportingObligation:
    """Add an obligation for the student's school, once per (student, kind, due date); returns the existing one on a repeat."""
    existing = session.scalar(
        select(ReportingObligation).where(
            ReportingObligation.student_id == student.id,
            ReportingObligation.kind == kind,
            ReportingObligation.due_on == due_on,
        )
    )
    if existing is not None:
        return existing
    obligation = ReportingObligation(
        student_id=student.id,
        school_id=student.school_id,
        kind=kind,
        due_on=due_on,
        window_opens_on=window_opens_on,
        description=description[:300],
        source_event_id=source_event.id if source_event is not None else None,
    )
    session.add(obligation)
    session.flush()
    return obligation
