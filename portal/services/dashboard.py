"""What the student's dashboard shows: the timeline's answer to "am I OK?", what is due next and one primary action.

Every date and count is the timeline's (portal.services.timeline); this selector only picks and orders what it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from portal.services.access import StudentAccess
from portal.services.clock import long_date
from portal.services.stem_duties import DutyWithObligation, duties_with_obligations
from portal.services.timeline import Duty, DutyKind, Timeline


@dataclass(frozen=True)
class PrimaryAction:
    """The single most important thing for the student today: a button with words and where it goes."""

    name: str  # add_employer, confirm_details, upload_evaluation, save_record (for tests and the page's id)
    text: str
    endpoint: str
    anchor: str = ""


ADD_EMPLOYER = PrimaryAction("add_employer", "Add employer", "employers.new")
CONFIRM_DETAILS = PrimaryAction("confirm_details", "Confirm your details", "stem.confirm")
UPLOAD_EVALUATION = PrimaryAction(
    "upload_evaluation", "Upload your Form I-983 evaluation", "documents.index", "#evaluation-form"
)
SAVE_RECORD = PrimaryAction("save_record", "Save my record", "record.index")


@dataclass(frozen=True)
class DueItem:
    """One thing due or coming, in words, with its date (None for a standing duty such as "within 10 days")."""

    text: str
    on: date | None = None
    overdue: bool = False


@dataclass(frozen=True)
class Dashboard:
    access: StudentAccess
    stem_duties: list[DutyWithObligation]  # open and still waiting for the student
    primary_action: PrimaryAction | None
    due_next: list[DueItem]

    @property
    def timeline(self) -> Timeline:
        return self.access.timeline


def student_dashboard(session: Session, access: StudentAccess) -> Dashboard:
    """The dashboard of ``access``'s student on its day (one more statement on STEM OPT, for the duties' obligations)."""
    waiting = waiting_stem_duties(session, access)
    timeline = access.timeline
    return Dashboard(
        access=access,
        stem_duties=waiting,
        primary_action=primary_action(timeline, waiting),
        due_next=due_next(timeline, waiting),
    )


def waiting_stem_duties(session: Session, access: StudentAccess) -> list[DutyWithObligation]:
    """The STEM duties waiting for the student (rule 15), read only for a student on STEM OPT with full access."""
    if not (access.is_on_stem and access.can_edit):
        return []
    return [item for item in duties_with_obligations(session, access.student, access.timeline) if item.needs_student]


def primary_action(timeline: Timeline, waiting: list[DutyWithObligation]) -> PrimaryAction | None:
    """The one action the dashboard offers first, or None when nothing needs the student today.

    Saving the record comes first once access is read-only or closes within 30 days (SEVP tells students to keep
    their history); then an open STEM confirmation, an open evaluation, and "Add employer" for a student with no
    current or upcoming job who may report one while their work authorization runs.
    """
    if timeline.access.closed:
        return None
    if not timeline.access.can_edit or timeline.access_ending_soon:
        return SAVE_RECORD
    if any(item.duty.kind is DutyKind.STEM_CONFIRMATION for item in waiting):
        return CONFIRM_DETAILS
    if waiting:
        return UPLOAD_EVALUATION
    if (
        timeline.asks_to_report
        and timeline.opt_ended_on is None  # still authorized to work (or waiting to be)
        and not timeline.current_jobs
        and not timeline.upcoming_jobs
    ):
        return ADD_EMPLOYER
    return None


def duty_name(duty: Duty) -> str:
    """A STEM duty in words."""
    if duty.kind is DutyKind.STEM_CONFIRMATION:
        return f"{duty.months}-month STEM OPT confirmation of your details"
    if duty.kind is DutyKind.I983_EVALUATION:
        return "Form I-983 12-month self-evaluation"
    return "Form I-983 final evaluation"


def due_next(timeline: Timeline, waiting: list[DutyWithObligation]) -> list[DueItem]:
    """What is due or coming, soonest first, from the timeline: STEM duties, the account, the OPT and access ends,
    then the standing duty to report changes within 10 days."""
    today = timeline.today
    dated = [
        DueItem(f"{duty_name(item.duty)}: due", item.duty.due_on, overdue=item.duty.due_on < today) for item in waiting
    ]
    if timeline.upcoming_duties and timeline.access.can_edit:
        duty = timeline.upcoming_duties[0]
        dated.append(DueItem(f"{duty_name(duty)}: opens {long_date(duty.opens_on)}, due", duty.due_on))
    if timeline.account_due_on is not None and timeline.account_due_on > today:
        dated.append(DueItem("Your portal account is created", timeline.account_due_on))
    for job in timeline.upcoming_jobs:
        dated.append(DueItem(f"{job.name} starts", job.facts.start_date))
    if timeline.opt_end is not None and timeline.opt_end >= today:
        dated.append(DueItem("Your work authorization (OPT) ends", timeline.opt_end))
    until = timeline.access.read_only_until
    if until is not None and until >= today and (not timeline.access.can_edit or timeline.access_ending_soon):
        dated.append(DueItem("Your portal access ends: save your record before then", until))
    items = sorted(dated, key=lambda item: item.on)
    if timeline.asks_to_report:
        items.append(DueItem("Report a new job, a change or end of a job, or a new address within 10 days"))
    return items
