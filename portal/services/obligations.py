"""Reporting obligations: what the school must record in SEVIS, and by when (rule 15)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Event, ReportingObligation, Student
from portal.models.enums import ObligationKind
from portal.services.clock import add_months


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


# --- Generation rules (DESIGN rule 15; 8 CFR 214.16 for STEM OPT) ---------------------------

PARTICIPATION_DAYS = 30
STEM_VALIDATION_MONTHS = (6, 12, 18, 24)
STEM_WINDOW_DAYS = 30
I983_EVALUATION_MONTHS = 12
ADDRESS_RECORD_DAYS = 21


def participation_validation_due(program_start: date) -> tuple[date, date]:
    """(window opens, due): program participation is validated within 30 days of its start."""
    return program_start, program_start + timedelta(days=PARTICIPATION_DAYS)


def stem_validation_windows(opt_start: date) -> list[tuple[int, date, date]]:
    """(months, window opens, due) for each STEM validation report: 30 days either side of 6/12/18/24 months."""
    windows = []
    for months in STEM_VALIDATION_MONTHS:
        anchor = add_months(opt_start, months)
        windows.append((months, anchor - timedelta(days=STEM_WINDOW_DAYS), anchor + timedelta(days=STEM_WINDOW_DAYS)))
    return windows


def i983_evaluation_due(opt_start: date) -> tuple[date, date]:
    """(window opens, due) for the 12-month Form I-983 evaluation, in the same 30-day window as the 12-month report."""
    anchor = add_months(opt_start, I983_EVALUATION_MONTHS)
    return anchor - timedelta(days=STEM_WINDOW_DAYS), anchor + timedelta(days=STEM_WINDOW_DAYS)


def add_participation_validation(session: Session, program, *, source_event: Event | None = None) -> ReportingObligation:
    """Obligation to validate participation in a program within 30 days of its start; once per program start."""
    opens, due = participation_validation_due(program.start_date)
    return add_obligation(
        session, program.student, kind=ObligationKind.PARTICIPATION_VALIDATION, due_on=due, window_opens_on=opens,
        description=f"Validate program participation (program started {program.start_date:%m/%d/%Y}).",
        source_event=source_event,
    )  # fmt: skip


def add_stem_obligations(session: Session, opt, *, source_event: Event | None = None) -> list[ReportingObligation]:
    """The four STEM validation reports and the 12-month I-983 evaluation for an approved STEM OPT."""
    student = opt.program_record.student
    obligations = []
    for months, opens, due in stem_validation_windows(opt.start_date):
        obligations.append(add_obligation(
            session, student, kind=ObligationKind.STEM_VALIDATION, due_on=due, window_opens_on=opens,
            description=f"STEM OPT {months}-month validation report.", source_event=source_event,
        ))  # fmt: skip
    opens, due = i983_evaluation_due(opt.start_date)
    obligations.append(add_obligation(
        session, student, kind=ObligationKind.I983_EVALUATION, due_on=due, window_opens_on=opens,
        description="Form I-983 12-month evaluation.", source_event=source_event,
    ))  # fmt: skip
    return obligations


def add_address_change_obligation(session: Session, student: Student, *, told_on: date,
                                  source_event: Event | None = None) -> ReportingObligation:  # fmt: skip
    """Obligation to record a student's address change in SEVIS within 21 days of being told."""
    return add_obligation(
        session, student, kind=ObligationKind.ADDRESS_CHANGE, due_on=told_on + timedelta(days=ADDRESS_RECORD_DAYS),
        window_opens_on=told_on, description="Record the student's new address in SEVIS.", source_event=source_event,
    )  # fmt: skip


def mark_obligations_complete(session: Session, obligations, *, actor) -> list[Event]:
    """Mark obligations complete, one event each; refuses all of them if any is done already or not the official's school."""
    from portal.models import utcnow
    from portal.services.errors import Conflict, NotAllowed, NotFound, RuleBroken
    from portal.services.events import record_event

    obligations = list(obligations)
    if not actor.is_school_official:
        raise NotAllowed("Only a school official can mark reporting complete.")
    if not obligations:
        raise RuleBroken("Choose at least one obligation to mark complete.", field="obligation_ids")
    if any(obligation.school_id != actor.school_id for obligation in obligations):
        raise NotFound("No such obligation at your school.")
    done = [obligation for obligation in obligations if obligation.completed_at is not None]
    if done:
        names = ", ".join(f"{o.student.sevis_id} ({o.description})" for o in done[:5])
        raise Conflict(f"Already marked complete, nothing was changed: {names}. Reload the list.")
    now = utcnow()
    events = []
    for obligation in obligations:
        obligation.completed_at = now
        obligation.completed_by_user_id = actor.user_id
        events.append(record_event(
            session, actor, "obligation.completed", student=obligation.student, subject=f"obligation:{obligation.id}",
            before={"kind": obligation.kind, "due_on": obligation.due_on, "completed": False},
            after={"kind": obligation.kind, "due_on": obligation.due_on, "description": obligation.description,
                   "completed": True},
        ))  # fmt: skip
    session.flush()
    return events
