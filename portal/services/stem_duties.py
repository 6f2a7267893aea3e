"""What a STEM OPT student does for their duties (DESIGN rule 15): confirm their details every six months, upload
the 12-month and final Form I-983 evaluations; and the DSO's review of an evaluation. Each lands on the school's
obligation for that duty (portal.services.obligations), whose dates come from the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Address, Document, OptAuthorization, ReportingObligation, Student, utcnow
from portal.models.enums import (
    AddressKind,
    DocumentKind,
    EmployerReview,
    EmploymentTime,
    ObligationKind,
    OptKind,
    OptStatus,
)
from portal.services.access import require_actor_may_change
from portal.services.actors import Actor
from portal.services.clock import long_date
from portal.services.errors import Conflict, NotAllowed, RuleBroken
from portal.services.events import record_event
from portal.services.obligations import (
    duty_key,
    mark_obligations_complete,
    obligation_key,
    stem_obligations,
    sync_stem_obligations,
)
from portal.services.timeline import Duty, DutyKind, DutyState, Timeline
from portal.services.timeline.database import student_timeline
from portal.services.uploads import PDF_MAX_BYTES, check_pdf, read_limited, safe_filename, store_bytes
from portal.services.validation import clean_text

CHANGES_MAX = 1000
EVALUATION_LABELS = {
    DutyKind.I983_EVALUATION: "Form I-983 12-month evaluation",
    DutyKind.I983_FINAL_EVALUATION: "Form I-983 final evaluation",
}
EVALUATION_KINDS = {ObligationKind.I983_EVALUATION, ObligationKind.I983_FINAL_EVALUATION}


@dataclass(frozen=True)
class DutyWithObligation:
    """A duty on the student's timeline beside the school's obligation that follows it (None before it exists)."""

    duty: Duty
    obligation: ReportingObligation | None

    @property
    def submitted(self) -> bool:
        return self.obligation is not None and self.obligation.submitted_at is not None

    @property
    def needs_student(self) -> bool:
        """Open on the timeline and still waiting for the student (not submitted, recorded or closed)."""
        return (
            self.duty.state in (DutyState.OPEN, DutyState.OVERDUE)
            and not self.submitted
            and (self.obligation is None or self.obligation.is_open)
        )


def duties_with_obligations(session: Session, student: Student, timeline: Timeline) -> list[DutyWithObligation]:
    """The timeline's STEM duties, each with its obligation (one statement)."""
    if not timeline.duties:
        return []
    by_key = {obligation_key(obligation): obligation for obligation in stem_obligations(session, student)}
    return [DutyWithObligation(duty, by_key.get(duty_key(duty))) for duty in timeline.duties]


# --- Confirm my details ------------------------------------------------------------------------


def details_to_confirm(session: Session, student: Student, timeline: Timeline) -> dict:
    """The name, physical address, employer and employment status the student is asked to confirm (rule 15)."""
    address = session.scalar(
        select(Address).where(Address.student_id == student.id, Address.kind == AddressKind.PHYSICAL)
    )
    job = timeline.current_employer
    if job is None:
        employer, status = None, "Not employed: no current employer reported"
    else:
        employer = job.name
        hours = "full time" if job.facts.employment_time is EmploymentTime.FULL_TIME else "part time"
        status = f"Employed {hours} since {long_date(job.facts.start_date)}"
        if job.facts.review is EmployerReview.WAITING:
            status += " (waiting for the school's review of the Form I-983)"
        elif job.facts.review is EmployerReview.RETURNED:
            status += " (returned by the school: correct and resubmit it)"
    return {
        "name": student.full_name,
        "physical_address": (
            ", ".join(part for part in (address.line1, address.line2, address.city) if part)
            + f", {address.state} {address.postal_code}"
        )
        if address is not None
        else None,
        "employer": employer,
        "employment_status": status,
    }


def confirm_stem_details(
    session: Session,
    student: Student,
    *,
    actor: Actor,
    details_correct: bool,
    changes: str = "",
    today: date | None = None,
) -> list[ReportingObligation]:
    """The student confirms their details, or says what changed, for each open confirmation duty (rule 15).

    What was shown and what they said land on the school's obligation, with an event. Refuses when no
    confirmation is open on the timeline, read-only access, and "something changed" without saying what.
    """
    if not actor.is_student:
        raise NotAllowed("Only the student confirms their own details.")
    require_actor_may_change(session, student, actor, what="details", today=today)
    changes = clean_text(changes, field="changes", label="what changed", max_length=CHANGES_MAX, multiline=True) or ""
    if not details_correct and not changes:
        raise RuleBroken(
            "Tell your school what changed: your name, address, employer or employment status.", field="changes"
        )
    sync_stem_obligations(session, student, actor=actor, today=today)
    timeline = student_timeline(session, student, today)
    waiting = [
        item
        for item in duties_with_obligations(session, student, timeline)
        if item.duty.kind is DutyKind.STEM_CONFIRMATION
        and item.duty.state in (DutyState.OPEN, DutyState.OVERDUE)
        and item.obligation is not None
        and item.obligation.is_open
    ]
    if not waiting:
        raise Conflict(_nothing_open(timeline))
    submission = {
        **details_to_confirm(session, student, timeline),
        "details_correct": bool(details_correct),
        "changes": changes,
        "submitted_on": timeline.today.isoformat(),
    }
    now = utcnow()
    for item in waiting:
        obligation = item.obligation
        before = obligation.submission
        obligation.submission, obligation.submitted_at = submission, now
        record_event(
            session,
            actor,
            "stem.details_confirmed",
            student=student,
            subject=f"obligation:{obligation.id}",
            before=before,
            after={**submission, "due_on": obligation.due_on},
        )
    session.flush()
    return [item.obligation for item in waiting]


def _nothing_open(timeline: Timeline) -> str:
    upcoming = [
        duty for duty in timeline.duties if duty.kind is DutyKind.STEM_CONFIRMATION and duty.state is DutyState.UPCOMING
    ]
    if upcoming:
        return (
            f"There is nothing to confirm now. Your next confirmation opens on {long_date(upcoming[0].opens_on)} "
            f"and is due by {long_date(upcoming[0].due_on)}."
        )
    return "There is nothing to confirm now: you have no open STEM OPT confirmation."


# --- Form I-983 evaluations --------------------------------------------------------------------


def upload_i983_evaluation(
    session: Session,
    student: Student,
    opt: OptAuthorization | None,
    evaluation: DutyKind,
    stream,
    filename: str | None,
    *,
    actor: Actor,
    upload_dir: str,
    today: date | None = None,
) -> Document:
    """Store the 12-month or final Form I-983 evaluation (a PDF) on its obligation.

    Refuses an OPT that is not an approved STEM OPT (on the "evaluation" field), an evaluation no longer
    required or already reviewed, and what every upload refuses (not a PDF, active content, over 10 MB).
    """
    require_actor_may_change(session, student, actor, what="documents", today=today)
    if evaluation not in EVALUATION_LABELS:
        raise RuleBroken("Choose the 12-month or the final evaluation.", field="evaluation")
    if opt is None or opt.kind is not OptKind.STEM or opt.status is not OptStatus.APPROVED:
        raise RuleBroken(
            "Form I-983 evaluations are for an approved STEM OPT extension, and your OPT is not one. "
            "Nothing was uploaded.",
            field="evaluation",
        )
    if opt.program_record.student_id != student.id:
        raise NotAllowed("You can upload evaluations only for your own OPT.")
    sync_stem_obligations(session, student, actor=actor, today=today)
    timeline = student_timeline(session, student, today)
    item = next(
        (
            item
            for item in duties_with_obligations(session, student, timeline)
            if item.duty.opt_id == opt.id and item.duty.kind is evaluation
        ),
        None,
    )
    label = EVALUATION_LABELS[evaluation]
    if item is None or item.obligation is None:
        raise RuleBroken(f"Your STEM OPT has no {label} to upload.", field="evaluation")
    obligation = item.obligation
    if obligation.closed_at is not None:
        raise Conflict(f"The {label} is no longer required: {obligation.closed_reason}")
    if obligation.completed_at is not None:
        raise Conflict(f"Your school already reviewed your {label}. Contact your DSO to send a new one.")
    data = read_limited(stream, PDF_MAX_BYTES, label=f"{label} file", field="file")
    check_pdf(data, field="file", label=label)
    stored_name, digest = store_bytes(upload_dir, data)
    document = Document(
        student_id=student.id,
        kind=DocumentKind.I983_EVALUATION,
        obligation_id=obligation.id,
        original_filename=safe_filename(filename, "form-i983-evaluation.pdf"),
        stored_name=stored_name,
        content_type="application/pdf",
        size_bytes=len(data),
        sha256=digest,
        uploaded_by_user_id=actor.user_id,
    )
    session.add(document)
    session.flush()
    obligation.submitted_at = utcnow()
    obligation.submission = {"evaluation": label, "document_id": document.id, "filename": document.original_filename}
    record_event(
        session,
        actor,
        "document.evaluation_uploaded",
        student=student,
        subject=f"document:{document.id}",
        after={
            "kind": label,
            "filename": document.original_filename,
            "size_bytes": len(data),
            "sha256": digest,
            "obligation_id": obligation.id,
            "due_on": obligation.due_on,
        },
    )
    return document


def evaluation_documents(session: Session, obligation_ids) -> dict[int, list[Document]]:
    """The evaluations uploaded for these obligations, newest first (one statement)."""
    ids = sorted(set(obligation_ids))
    found: dict[int, list[Document]] = {obligation_id: [] for obligation_id in ids}
    if not ids:
        return found
    for document in session.scalars(
        select(Document)
        .where(Document.obligation_id.in_(ids), Document.deleted_at.is_(None))
        .order_by(Document.uploaded_at.desc(), Document.id.desc())
    ):
        found[document.obligation_id].append(document)
    return found


def review_evaluation(session: Session, obligation: ReportingObligation, *, actor: Actor) -> None:
    """The DSO marks an uploaded evaluation reviewed, which completes its obligation; refuses one not uploaded yet."""
    if obligation.kind not in EVALUATION_KINDS:
        raise RuleBroken("Only a Form I-983 evaluation is marked reviewed here.")
    if (
        actor.is_school_official
        and obligation.school_id == actor.school_id
        and not evaluation_documents(session, [obligation.id])[obligation.id]
    ):
        raise RuleBroken("The student has not uploaded this evaluation yet; there is nothing to review.")
    mark_obligations_complete(session, [obligation], actor=actor)
