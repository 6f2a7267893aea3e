"""What a student may see and change today (DESIGN rules 3 to 6): a thin reading of their OPT timeline.

Every decision (edit or read-only, closed, which OPTs show, whether to ask for reports) is the timeline's
(portal.services.timeline); this module only pairs it with the ORM records the pages display and turns it
into refusals a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from portal.models import OptAuthorization, ProgramRecord, Student
from portal.services.actors import Actor
from portal.services.clock import today_eastern
from portal.services.errors import NotAllowed
from portal.services.office_contact import OfficeContact, office_contact
from portal.services.officials import active_officials
from portal.services.timeline import Timeline
from portal.services.timeline.database import student_timeline
from portal.services.visibility import may_see


@dataclass(frozen=True)
class StudentAccess:
    """A student's timeline on a day, with the program record and OPTs it shows, as ORM rows for the pages."""

    student: Student
    timeline: Timeline
    program: ProgramRecord | None
    opts: tuple[OptAuthorization, ...]  # the visible OPTs, in the timeline's order (a denied STEM OPT is hidden)

    @property
    def can_edit(self) -> bool:
        return self.timeline.access.can_edit

    @property
    def closed(self) -> bool:
        return self.timeline.access.closed

    @property
    def read_only_reason(self) -> str | None:
        return None if self.can_edit else self.timeline.access.reason

    @property
    def access_ends_on(self) -> date | None:
        """The last day the student can sign in and read (six months after the OPT end date)."""
        return self.timeline.access.read_only_until

    @property
    def access_ended(self) -> bool:
        return self.closed

    @property
    def opt_end_date(self) -> date | None:
        return self.timeline.access.opt_end

    @property
    def opt_ids(self) -> set[int]:
        return {opt.facts.id for opt in self.timeline.opts}

    @property
    def stem_opt(self) -> OptAuthorization | None:
        stem = self.timeline.stem_opt
        return next((opt for opt in self.opts if stem is not None and opt.id == stem.facts.id), None)

    @property
    def is_on_stem(self) -> bool:
        return self.timeline.on_stem

    @property
    def can_report_employers(self) -> bool:
        """Whether the student is asked to report jobs: full access and an OPT to report them under (rule 5)."""
        return self.timeline.asks_to_report

    def require_employer_reporting(self) -> None:
        """Refuses when the student may not add employers now, saying why."""
        self.require_edit()
        if not self.can_report_employers:
            raise NotAllowed("You have no OPT on your current program record, so there is no employer to report.")

    def require_edit(self) -> None:
        """Refuses a change when the student's access is read-only or closed."""
        if not self.can_edit:
            raise NotAllowed(self.timeline.access.reason or "Your portal access is read-only.")


def access_from_timeline(student: Student, timeline: Timeline, records: list[ProgramRecord]) -> StudentAccess:
    """Pair ``timeline`` with the student's loaded program records: the one it calls current and its visible OPTs."""
    program_id = timeline.program.id if timeline.program is not None else None
    program = next((record for record in records if record.id == program_id), None)
    by_id = {opt.id: opt for opt in (program.opt_authorizations if program is not None else ())}
    opts = tuple(by_id[view.facts.id] for view in timeline.opts if view.facts.id in by_id)
    return StudentAccess(student=student, timeline=timeline, program=program, opts=opts)


def student_access(session: Session, student: Student, today: date | None = None) -> StudentAccess:
    """The student's timeline on ``today`` (two statements) and what it lets them see and do."""
    timeline = student_timeline(session, student, today or today_eastern())
    return access_from_timeline(student, timeline, list(student.program_records))


def require_actor_may_change(
    session: Session,
    student: Student,
    actor: Actor,
    *,
    what: str,
    today: date | None = None,
    access: StudentAccess | None = None,
) -> None:
    """Support never changes a record; a student changes only their own, and only while access allows edits (rules 3-6).

    ``what`` names the thing in the refusal ("employers"); pass ``access`` when the caller already has it.
    """
    if actor.is_support:
        raise NotAllowed("Support staff read records; they never change them.")
    if actor.is_student:
        if not may_see(actor, student):
            raise NotAllowed(f"You can change only your own {what}.")
        (access or student_access(session, student, today=today)).require_edit()


# --- Rule 5: the closed account ----------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolContact:
    name: str
    email: str


@dataclass(frozen=True)
class ClosedAccount:
    """What the closed page says: why access ended and whom to ask (the school's DSOs)."""

    reason: str
    school_name: str
    officials: tuple[SchoolContact, ...]
    office: OfficeContact | None = None


def closed_account(session: Session, access: StudentAccess) -> ClosedAccount | None:
    """The closed-account notice for a student whose access the timeline closes today; None while it is open."""
    if not access.closed:
        return None
    student = access.student
    officials = tuple(
        SchoolContact(name=official.display_name or official.email, email=official.email)
        for official in active_officials(session, student.school_id)
    )
    return ClosedAccount(
        reason=access.timeline.access.reason or "Your portal access has ended.",
        school_name=student.school.name,
        officials=officials,
        office=office_contact(student.school),
    )


def closed_account_for(session: Session, student: Student | None, today: date | None = None) -> ClosedAccount | None:
    """The closed-account notice for ``student`` today, or None (no student, or access still open)."""
    if student is None:
        return None
    return closed_account(session, student_access(session, student, today=today))
