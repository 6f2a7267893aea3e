"""What a student may see and change today (DESIGN rules 3 to 6), computed in one place."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from portal.models import OptAuthorization, ProgramRecord, Student
from portal.models.enums import OptKind, OptStatus, ProgramStatus
from portal.services.actors import Actor
from portal.services.errors import NotAllowed

EASTERN = ZoneInfo("America/New_York")
EDIT_GRACE_DAYS = 15
READ_ONLY_MONTHS = 6


def today_eastern() -> date:
    """Today's date in US Eastern time: the date every rule is counted in."""
    return datetime.now(EASTERN).date()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day (Aug 31 + 6 months = Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class StudentAccess:
    """The current program record, the OPTs the student sees, and whether they may edit."""

    student: Student
    program: ProgramRecord | None
    opts: list[OptAuthorization] = field(default_factory=list)
    can_edit: bool = False
    read_only_reason: str | None = None
    access_ends_on: date | None = None
    access_ended: bool = False
    opt_end_date: date | None = None

    @property
    def opt_ids(self) -> set[int]:
        return {opt.id for opt in self.opts}

    @property
    def approved_opts(self) -> list[OptAuthorization]:
        return [opt for opt in self.opts if opt.status == OptStatus.APPROVED]

    @property
    def stem_opt(self) -> OptAuthorization | None:
        return next((opt for opt in self.opts if opt.kind == OptKind.STEM), None)

    @property
    def is_on_stem(self) -> bool:
        stem = self.stem_opt
        return stem is not None and stem.status == OptStatus.APPROVED

    @property
    def can_report_employers(self) -> bool:
        """Editable, with an approved or pending OPT on the current record to report jobs under."""
        return self.can_edit and any(opt.status in (OptStatus.APPROVED, OptStatus.PENDING) for opt in self.opts)

    def require_employer_reporting(self) -> None:
        """Refuses when the student may not add employers now, saying why."""
        self.require_edit()
        if not self.can_report_employers:
            raise NotAllowed("You have no OPT on your current program record, so there is no employer to report.")

    def require_edit(self) -> None:
        """Refuses a change when the student's access is read-only."""
        if not self.can_edit:
            raise NotAllowed(self.read_only_reason or "Your portal access is read-only.")


def current_program(records: list[ProgramRecord]) -> ProgramRecord | None:
    """The record the student sees: the newest active one, else the newest (DESIGN rule 4)."""
    ordered = sorted(records, key=lambda record: (record.created_at, record.id))
    active = [record for record in ordered if record.status == ProgramStatus.ACTIVE]
    return (active or ordered or [None])[-1]


def visible_opts(program: ProgramRecord | None) -> list[OptAuthorization]:
    """The program's OPT authorizations, minus a denied STEM OPT (DESIGN rule 6)."""
    if program is None:
        return []
    return [
        opt for opt in program.opt_authorizations
        if not (opt.kind == OptKind.STEM and opt.status == OptStatus.DENIED)
    ]  # fmt: skip


def _fmt(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def access_for(student: Student, records: list[ProgramRecord], today: date) -> StudentAccess:
    """Pure part of student_access: decide from already loaded records."""
    program = current_program(records)
    opts = visible_opts(program)
    access = StudentAccess(student=student, program=program, opts=opts)
    approved = [opt for opt in opts if opt.status == OptStatus.APPROVED]
    if not approved:
        # Nothing approved yet: contact details stay editable; employers need an OPT (employers service).
        access.can_edit = True
        return access
    # The authorized end date, even when the OPT was ended early: rule 5 counts six months from it.
    opt_end = max(opt.end_date for opt in approved)
    access.opt_end_date = opt_end
    access.access_ends_on = add_months(opt_end, READ_ONLY_MONTHS)
    access.access_ended = today > access.access_ends_on
    pending_stem = any(opt.kind == OptKind.STEM and opt.status == OptStatus.PENDING for opt in opts)
    completed_early = (
        program.status == ProgramStatus.COMPLETED
        and program.completed_on is not None
        and program.completed_on < opt_end
    )
    if access.access_ended:
        access.read_only_reason = (
            f"Your portal access ended on {_fmt(access.access_ends_on)}, six months after your OPT ended."
        )
    elif completed_early:
        # DESIGN rule 5: read-only until six months after the OPT end date.
        access.read_only_reason = (
            f"Your school completed your program record on {_fmt(program.completed_on)}, before your OPT end date. "
            f"You can read your information until {_fmt(access.access_ends_on)}; you can no longer change it."
        )
    elif program.status in (ProgramStatus.TERMINATED, ProgramStatus.TRANSFERRED):
        access.read_only_reason = "Your program record is no longer active. Contact your DSO about any change."
    elif pending_stem:
        access.can_edit = True  # DESIGN rule 3: edits allowed while STEM OPT is pending
    elif today > opt_end + timedelta(days=EDIT_GRACE_DAYS):
        access.read_only_reason = (
            f"Your OPT ended on {_fmt(opt_end)}. Changes were possible until {_fmt(opt_end + timedelta(days=EDIT_GRACE_DAYS))}; "
            f"you can read your information until {_fmt(access.access_ends_on)}."
        )
    else:
        access.can_edit = True
    return access


def student_access(session: Session, student: Student, today: date | None = None) -> StudentAccess:
    """Load the student's program records and OPTs (one statement) and decide what they may do today."""
    today = today or today_eastern()
    records = list(
        session.scalars(
            select(ProgramRecord)
            .where(ProgramRecord.student_id == student.id)
            .options(joinedload(ProgramRecord.opt_authorizations))
        ).unique()
    )
    return access_for(student, records, today)


def require_actor_may_change(session: Session, student: Student, actor: Actor, *, what: str, today: date | None = None,
                             access: StudentAccess | None = None) -> None:  # fmt: skip
    """Support never changes a record; a student changes only their own, and only while access allows edits (rules 3-6).

    ``what`` names the thing in the refusal ("employers"); pass ``access`` when the caller already has it.
    """
    if actor.is_support:
        raise NotAllowed("Support staff read records; they never change them.")
    if actor.is_student:
        if actor.student_id is not None and actor.student_id != student.id:
            raise NotAllowed(f"You can change only your own {what}.")
        (access or student_access(session, student, today=today)).require_edit()
