"""STEM employers: the school accepts or returns one sent with its Form I-983, and the student corrects a returned
one and sends it back (DESIGN rules 3 and 16)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from portal.models import Employer
from portal.models.enums import ChangeKind, EmployerReview, OptKind
from portal.services.actors import Actor
from portal.services.clock import long_date, today_eastern
from portal.services.employer_fields import (
    EDITABLE_FIELDS,
    clean_employer_data,
    employer_changed_line,
    require_type_allowed_on,
)
from portal.services.employers import access_to_edit, is_i983_of, opt_for_start, with_changes
from portal.services.errors import Conflict, InvalidValue, NotAllowed, RuleBroken
from portal.services.events import record_event
from portal.services.receipts import queue_report_receipt
from portal.services.validation import clean_text


def review_stem_employer(
    session: Session, employer: Employer, *, actor: Actor, accept: bool, note: str = ""
) -> Employer:
    """A DSO accepts or returns a STEM employer submitted with its I-983; refuses one not waiting for review."""
    if not actor.is_school_official:
        raise NotAllowed("Only a DSO can review a STEM employer.")
    if employer.is_deleted or employer.review_status != EmployerReview.WAITING:
        raise Conflict("This employer is not waiting for school review.")
    note = clean_text(note, field="note", label="note", max_length=1000, multiline=True) or ""
    if not accept and not note:
        raise InvalidValue("Tell the student why the employer is returned.", field="note")
    before = {"id": employer.id, "name": employer.name, "review_status": employer.review_status}
    employer.review_status = EmployerReview.ACCEPTED if accept else EmployerReview.RETURNED
    session.flush()
    record_event(
        session,
        actor,
        "employer.reviewed",
        student=employer.student,
        change_kind=ChangeKind.EMPLOYER,
        subject=f"employer:{employer.id}",
        before=before,
        after={"id": employer.id, "name": employer.name, "review_status": employer.review_status, "note": note},
    )
    return employer


def resubmit_stem_employer(
    session: Session, employer: Employer, data: dict, *, actor: Actor, expected_version: int, today: date | None = None
) -> Employer:
    """Correct a STEM employer the school returned (any field, the locked ones too) and send it back with its Form I-983.

    It waits for the school's review again and counts as employment only once accepted (rule 16). Refuses an
    employer that is not returned, a stale version, bad fields, a start outside the STEM OPT and a missing I-983
    (``data["i983_document"]``).
    """
    today = today or today_eastern()
    access = access_to_edit(
        session, employer, actor=actor, expected_version=expected_version, today=today, returned_only=True
    )
    values = clean_employer_data(with_changes(employer, data))
    opt = opt_for_start(access, values["start_date"])
    if opt.kind is not OptKind.STEM:
        stem = access.stem_opt
        raise RuleBroken(
            f"A STEM employer starts on or after your STEM OPT starts, on {long_date(stem.start_date)}."
            if stem is not None
            else "You have no STEM OPT to report this employer under.",
            field="start_date",
        )
    require_type_allowed_on(opt, values["employment_type"])
    document = data.get("i983_document")
    if not is_i983_of(document, employer.student_id):
        raise RuleBroken("Attach the corrected Form I-983 you signed with this employer (a PDF).", field="i983")
    changed = sorted(name for name in EDITABLE_FIELDS if values[name] != getattr(employer, name))
    if "employment_type" in changed and values["self_employed"] != employer.self_employed:
        changed = sorted([*changed, "self_employed"])
    old_values = {name: getattr(employer, name) for name in changed}
    before = employer.snapshot()
    for name in changed:
        setattr(employer, name, values[name])
    employer.opt_authorization = opt
    employer.review_status = EmployerReview.WAITING
    session.flush()
    document.employer_id = employer.id
    after = employer.snapshot()
    record_event(
        session,
        actor,
        "employer.resubmitted",
        student=employer.student,
        change_kind=ChangeKind.EMPLOYER,
        subject=f"employer:{employer.id}",
        before={
            "id": employer.id,
            "name": before["name"],
            "review_status": before["review_status"],
            **{name: before[name] for name in changed},
        },
        after={
            "id": employer.id,
            "name": after["name"],
            "review_status": after["review_status"],
            "i983_document_id": document.id,
            **{name: after[name] for name in changed},
        },
    )
    lines = [f"Employer corrected and resubmitted for school review: {employer.name}"]
    lines += [
        employer_changed_line(name, old_values[name], values[name]) for name in changed if name in EDITABLE_FIELDS
    ]
    queue_report_receipt(
        session, employer.student, lines, about=f"corrected employer: {employer.name}", actor=actor, today=today
    )
    return employer
