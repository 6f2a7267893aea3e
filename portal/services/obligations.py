"""Reporting obligations: what the school must record in SEVIS, and by when (rule 15)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Event, OptAuthorization, ReportingObligation, Student, utcnow
from portal.models.enums import ObligationKind
from portal.services.errors import Conflict, InvalidValue, NotAllowed, NotFound, RuleBroken
from portal.services.events import record_event
from portal.services.timeline import Duty, DutyKind, DutyState
from portal.services.timeline.database import student_timeline


def add_obligation(
    session: Session,
    student: Student,
    *,
    kind: ObligationKind,
    due_on: date,
    description: str,
    window_opens_on: date | None = None,
    source_event: Event | None = None,
    opt: OptAuthorization | None = None,
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
        if existing.opt_authorization_id is None and opt is not None:
            existing.opt_authorization_id = opt.id
        return existing
    obligation = ReportingObligation(
        student_id=student.id,
        school_id=student.school_id,
        kind=kind,
        due_on=due_on,
        window_opens_on=window_opens_on,
        description=description[:300],
        source_event_id=source_event.id if source_event is not None else None,
        opt_authorization_id=opt.id if opt is not None else None,
    )
    session.add(obligation)
    session.flush()
    return obligation


# --- Generation rules (DESIGN rule 15; 8 CFR 214.16 for STEM OPT) ---------------------------

PARTICIPATION_DAYS = 30
ADDRESS_RECORD_DAYS = 21


def participation_validation_due(program_start: date) -> tuple[date, date]:
    """(window opens, due): program participation is validated within 30 days of its start."""
    return program_start, program_start + timedelta(days=PARTICIPATION_DAYS)


def add_participation_validation(
    session: Session, program, *, source_event: Event | None = None
) -> ReportingObligation:
    """Obligation to validate participation in a program within 30 days of its start; once per program start."""
    opens, due = participation_validation_due(program.start_date)
    return add_obligation(
        session,
        program.student,
        kind=ObligationKind.PARTICIPATION_VALIDATION,
        due_on=due,
        window_opens_on=opens,
        description=f"Validate program participation (program started {program.start_date:%m/%d/%Y}).",
        source_event=source_event,
    )


# --- STEM duties: one obligation per duty on the timeline (rule 15) -------------------------------

# Which obligation follows which of the timeline's duties.
DUTY_OBLIGATIONS = {
    DutyKind.STEM_CONFIRMATION: ObligationKind.STEM_VALIDATION,
    DutyKind.I983_EVALUATION: ObligationKind.I983_EVALUATION,
    DutyKind.I983_FINAL_EVALUATION: ObligationKind.I983_FINAL_EVALUATION,
}
STEM_OBLIGATION_KINDS = tuple(DUTY_OBLIGATIONS.values())
NO_LONGER_DATED = "The STEM OPT's dates or decision changed; this duty no longer applies as it was dated."


def duty_description(duty: Duty) -> str:
    """What the DSO's list says a duty is."""
    if duty.kind is DutyKind.STEM_CONFIRMATION:
        return f"STEM OPT {duty.months}-month confirmation: name, address, employer and employment status."
    if duty.kind is DutyKind.I983_EVALUATION:
        return "Form I-983 12-month evaluation."
    return "Form I-983 final evaluation."


def duty_key(duty: Duty) -> tuple[int, ObligationKind, date]:
    return duty.opt_id, DUTY_OBLIGATIONS[duty.kind], duty.due_on


def obligation_key(obligation: ReportingObligation) -> tuple[int | None, ObligationKind, date]:
    return obligation.opt_authorization_id, obligation.kind, obligation.due_on


def stem_obligations(session: Session, student: Student) -> list[ReportingObligation]:
    """Every STEM obligation of the student (open, completed and closed), by due date."""
    return list(
        session.scalars(
            select(ReportingObligation)
            .where(ReportingObligation.student_id == student.id, ReportingObligation.kind.in_(STEM_OBLIGATION_KINDS))
            .order_by(ReportingObligation.due_on, ReportingObligation.kind, ReportingObligation.id)
        )
    )


def add_stem_obligations(
    session: Session, opt: OptAuthorization, *, source_event: Event | None = None
) -> list[ReportingObligation]:
    """One obligation per duty the timeline gives this approved STEM OPT, with the duty's due date and window."""
    student = opt.program_record.student
    session.flush()
    return [
        add_obligation(
            session,
            student,
            kind=DUTY_OBLIGATIONS[duty.kind],
            due_on=duty.due_on,
            window_opens_on=duty.opens_on,
            description=duty_description(duty),
            source_event=source_event,
            opt=opt,
        )
        for duty in student_timeline(session, student).duties
        if duty.opt_id == opt.id and duty.state is not DutyState.CLOSED
    ]


def sync_stem_obligations(
    session: Session, student: Student, *, actor, source_event: Event | None = None, today: date | None = None
) -> list[ReportingObligation]:
    """Make the student's STEM obligations follow their timeline's duties; returns the obligations it closed.

    A duty the timeline closed (the STEM OPT ended early or was denied, the student transferred or changed
    level) closes its open obligation with the timeline's reason, one event each; an obligation no duty
    matches any more (corrected dates) closes too; a duty without an obligation gets one.
    """
    session.flush()
    timeline = student_timeline(session, student, today)
    obligations = stem_obligations(session, student)
    by_key = {obligation_key(obligation): obligation for obligation in obligations}
    standing, closed = set(), []
    opts = {}
    for duty in timeline.duties:
        key = duty_key(duty)
        obligation = by_key.get(key)
        if duty.state is DutyState.CLOSED:
            if obligation is not None and obligation.is_open:
                closed.append(_close(session, obligation, duty.closed_reason, actor=actor))
            continue
        standing.add(key)
        if obligation is not None and obligation.closed_at is not None:
            _reopen(session, obligation, actor=actor)
        elif obligation is None:
            opt = opts.setdefault(duty.opt_id, session.get(OptAuthorization, duty.opt_id))
            add_obligation(
                session,
                student,
                kind=key[1],
                due_on=duty.due_on,
                window_opens_on=duty.opens_on,
                description=duty_description(duty),
                source_event=source_event,
                opt=opt,
            )
    for obligation in obligations:
        if obligation.is_open and obligation_key(obligation) not in standing and obligation not in closed:
            closed.append(_close(session, obligation, NO_LONGER_DATED, actor=actor))
    session.flush()
    return closed


def _reopen(session: Session, obligation: ReportingObligation, *, actor) -> None:
    """A duty that stands again (a denial corrected to an approval) reopens its obligation."""
    record_event(
        session,
        actor,
        "obligation.reopened",
        student=obligation.student,
        subject=f"obligation:{obligation.id}",
        before={
            "kind": obligation.kind,
            "due_on": obligation.due_on,
            "open": False,
            "reason": obligation.closed_reason,
        },
        after={"kind": obligation.kind, "due_on": obligation.due_on, "open": True},
    )
    obligation.closed_at = obligation.closed_reason = None


def _close(session: Session, obligation: ReportingObligation, reason: str, *, actor) -> ReportingObligation:
    obligation.closed_at = utcnow()
    obligation.closed_reason = reason[:300]
    record_event(
        session,
        actor,
        "obligation.closed",
        student=obligation.student,
        subject=f"obligation:{obligation.id}",
        before={"kind": obligation.kind, "due_on": obligation.due_on, "open": True},
        after={
            "kind": obligation.kind,
            "due_on": obligation.due_on,
            "description": obligation.description,
            "open": False,
            "reason": obligation.closed_reason,
        },
    )
    return obligation


def add_address_change_obligation(
    session: Session, student: Student, *, told_on: date, source_event: Event | None = None
) -> ReportingObligation:
    """Obligation to record a student's address change in SEVIS within 21 days of being told."""
    return add_obligation(
        session,
        student,
        kind=ObligationKind.ADDRESS_CHANGE,
        due_on=told_on + timedelta(days=ADDRESS_RECORD_DAYS),
        window_opens_on=told_on,
        description="Record the student's new address in SEVIS.",
        source_event=source_event,
    )


def mark_obligations_complete(session: Session, obligations, *, actor) -> list[Event]:
    """Mark obligations complete, one event each; refuses all of them if any is done already or not the official's school."""
    obligations = list(obligations)
    if not actor.is_school_official:
        raise NotAllowed("Only a school official can mark reporting complete.")
    if not obligations:
        raise RuleBroken("Choose at least one obligation to mark complete.", field="obligation_ids")
    if any(obligation.school_id != actor.school_id for obligation in obligations):
        raise NotFound("No such obligation at your school.")
    no_longer = [obligation for obligation in obligations if obligation.closed_at is not None]
    if no_longer:
        first = no_longer[0]
        raise Conflict(
            f"No longer required, nothing was changed: {first.student.sevis_id} ({first.description}) "
            f"closed because {first.closed_reason[0].lower()}{first.closed_reason[1:]} Reload the list."
        )
    done = [obligation for obligation in obligations if obligation.completed_at is not None]
    if done:
        names = ", ".join(f"{o.student.sevis_id} ({o.description})" for o in done[:5])
        raise Conflict(f"Already marked complete, nothing was changed: {names}. Reload the list.")
    now = utcnow()
    events = []
    for obligation in obligations:
        obligation.completed_at = now
        obligation.completed_by_user_id = actor.user_id
        events.append(
            record_event(
                session,
                actor,
                "obligation.completed",
                student=obligation.student,
                subject=f"obligation:{obligation.id}",
                before={"kind": obligation.kind, "due_on": obligation.due_on, "completed": False},
                after={
                    "kind": obligation.kind,
                    "due_on": obligation.due_on,
                    "description": obligation.description,
                    "completed": True,
                },
            )
        )
    session.flush()
    return events


# --- The obligations list's due-date filter ----------------------------------------------------

DUE_WITHIN_DAYS = (7, 14, 30, 60)


@dataclass(frozen=True)
class DueFilter:
    """Which due dates the obligations list shows: overdue, due within N days (overdue included), before a date."""

    due: str = ""  # "", "overdue" or "within"
    days: int | None = None
    before: date | None = None

    def latest_due(self, today: date) -> date | None:
        """The latest due date shown (inclusive); None when any date is shown."""
        latest = None
        if self.due == "overdue":
            latest = today - timedelta(days=1)
        elif self.due == "within":
            latest = today + timedelta(days=self.days)
        if self.before is not None:
            day_before = self.before - timedelta(days=1)
            latest = day_before if latest is None else min(latest, day_before)
        return latest

    def query_args(self) -> dict:
        """The filter as URL arguments (links to other pages, the form's action)."""
        due = f"within-{self.days}" if self.due == "within" else self.due
        return {"due": due or None, "before": self.before.isoformat() if self.before else None}


def parse_due_filter(due: str | None, before: str | None) -> DueFilter:
    """Read the list's due-date filter from the page's fields; refuses a choice not offered or a date it cannot read."""
    due = (due or "").strip()
    days = None
    if due.startswith("within-") and due[7:].isdigit() and int(due[7:]) in DUE_WITHIN_DAYS:
        due, days = "within", int(due[7:])
    elif due not in ("", "overdue"):
        raise InvalidValue("Choose when the obligations are due from the list.", field="due")
    before = (before or "").strip()
    day = None
    if before:
        for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
            try:
                day = datetime.strptime(before, pattern).date()
                break
            except ValueError:
                continue
        if day is None or not 2000 <= day.year <= 2100:
            raise InvalidValue('Enter the "due before" date as mm/dd/yyyy, for example 03/31/2026.', field="before")
    return DueFilter(due=due, days=days, before=day)
