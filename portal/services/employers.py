"""A student's OPT employers: add, edit, delete (soft) and restore (rules 2, 3, 6).

The school's review of STEM employers and the student's resubmission are in portal.services.stem_employers.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from portal.models import Document, Employer, Student, utcnow
from portal.models.enums import ActorKind, ChangeKind, DocumentKind, EmployerReview, OptKind, OptStatus
from portal.services.access import StudentAccess, require_actor_may_change, student_access
from portal.services.actors import Actor
from portal.services.clock import EASTERN, long_date, today_eastern
from portal.services.employer_fields import (
    EDITABLE_FIELDS,
    STEM_STUDENT_EDITABLE,
    clean_employer_data,
    employer_changed_line,
    is_ticked,
    require_type_allowed_on,
)
from portal.services.errors import Conflict, NotAllowed, RuleBroken, StaleEdit
from portal.services.events import record_event
from portal.services.labels import label
from portal.services.receipts import queue_report_receipt
from portal.services.receipts import show as _show

LATE_AFTER_DAYS = 10


def opt_for_start(access: StudentAccess, start: date):
    """The visible OPT a job starting on ``start`` belongs to; refuses a start before the OPT's validity starts."""
    live = [view for view in access.timeline.opts if view.facts.status in (OptStatus.APPROVED, OptStatus.PENDING)]
    if not live:
        raise RuleBroken(
            "You have no OPT on your current program record to report an employer for.", field="start_date"
        )
    first_start = min(view.start for view in live)
    if start < first_start:
        raise RuleBroken(
            f"The start date cannot be before your OPT starts on {long_date(first_start)}.", field="start_date"
        )
    stem = next((view for view in live if view.kind == OptKind.STEM), None)
    post = [view for view in live if view.kind == OptKind.POST_COMPLETION]
    chosen = stem if stem is not None and (start >= stem.start or not post) else post[0]
    return next(opt for opt in access.opts if opt.id == chosen.facts.id)


def is_i983_of(document, student_id: int) -> bool:
    """Whether ``document`` is a Form I-983 the student uploaded (a STEM employer is sent with one)."""
    return isinstance(document, Document) and document.student_id == student_id and document.kind == DocumentKind.I983


def with_changes(employer: Employer, data: dict) -> dict:
    """The employer's editable fields with the posted ones in their place (to be cleaned as a whole)."""
    merged = {name: getattr(employer, name) for name in EDITABLE_FIELDS}
    merged.update({key: value for key, value in data.items() if key in EDITABLE_FIELDS})
    return merged


def access_to_edit(
    session: Session,
    employer: Employer,
    *,
    actor: Actor,
    expected_version: int,
    today: date,
    returned_only: bool = False,
) -> StudentAccess:
    """The student's access for a change to this employer.

    Refuses a deleted employer, (with ``returned_only``) one the school did not return, a stale version (with the
    current values), an actor who may not change the student, and a student's change to an employer under an OPT
    they can no longer change.
    """
    if employer.is_deleted:
        raise Conflict("This employer was deleted. Ask your DSO to restore it before changing it.")
    if returned_only and employer.review_status is not EmployerReview.RETURNED:
        raise Conflict("Only an employer your school returned can be corrected and resubmitted.")
    if int(expected_version) != employer.version:
        raise StaleEdit(
            "Someone changed this employer after you opened the form. Compare your changes with the current details.",
            current=employer.snapshot(),
        )
    access = student_access(session, employer.student, today=today)
    require_actor_may_change(session, access.student, actor, what="employers", access=access)
    if actor.is_student and employer.opt_authorization_id not in access.opt_ids:
        raise NotAllowed("This employer belongs to an OPT you can no longer change.")
    return access


def find_deleted_match(
    session: Session, student: Student, *, name: str, ein: str | None, start_date: date
) -> Employer | None:
    """A deleted employer of this student with the same EIN, or the same name and start date."""
    # Without an EIN the comparison is with NULL, which matches nothing.
    values = {"student_id": student.id, "name": name.lower(), "start_date": start_date, "ein": ein or None}
    return session.scalar(_DELETED_MATCH, values)


# Built once (adding an employer runs it every time).
_DELETED_MATCH = (
    select(Employer)
    .where(
        Employer.student_id == bindparam("student_id"),
        Employer.deleted_at.is_not(None),
        or_(
            (func.lower(Employer.name) == bindparam("name")) & (Employer.start_date == bindparam("start_date")),
            Employer.ein == bindparam("ein"),
        ),
    )
    .order_by(Employer.deleted_at.desc())
    .limit(1)
)


def add_employer(
    session: Session,
    student: Student,
    data: dict,
    *,
    actor: Actor,
    today: date | None = None,
    access: StudentAccess | None = None,
) -> Employer:
    """Add an employer for the student (student, DSO or data feed).

    Refuses bad fields, a start before the OPT, a match with a deleted employer, and a STEM employer
    from a student without its Form I-983 (``data["i983_document"]``); marks a start more than 10 days
    ago as reported late. Pass ``access`` when the caller already has the student's (one statement less).
    """
    today = today or today_eastern()
    if access is None or access.student is not student:
        access = student_access(session, student, today=today)
    require_actor_may_change(session, access.student, actor, what="employers", access=access)
    values = clean_employer_data(data)
    opt = opt_for_start(access, values["start_date"])
    require_type_allowed_on(opt, values["employment_type"])
    deleted = find_deleted_match(
        session, student, name=values["name"], ein=values["ein"], start_date=values["start_date"]
    )
    if deleted is not None:
        when = deleted.deleted_at.astimezone(EASTERN).date()
        if actor.is_student:
            message = f"You deleted this employer on {long_date(when)}. Contact your DSO to restore it instead of adding it again."
        else:
            message = f"The student deleted this employer on {long_date(when)}. Restore it instead of adding it again."
        raise Conflict(message, field="name")
    document = data.get("i983_document")
    needs_review = opt.kind == OptKind.STEM and actor.is_student
    if needs_review and not is_i983_of(document, student.id):
        raise RuleBroken("Attach the Form I-983 you signed with this employer (a PDF).", field="i983")
    employer = Employer(student=student, student_id=student.id, opt_authorization=opt, **values)
    if needs_review:
        employer.review_status = EmployerReview.WAITING
    employer.reported_late = actor.kind != ActorKind.DATA_FEED and values["start_date"] < today - timedelta(
        days=LATE_AFTER_DAYS
    )
    session.add(employer)
    session.flush()
    if isinstance(document, Document):
        document.employer_id = employer.id
    record_event(
        session,
        actor,
        "employer.added",
        student=student,
        change_kind=ChangeKind.EMPLOYER,
        subject=f"employer:{employer.id}",
        after=employer.snapshot(),
        reported_late=employer.reported_late,
    )
    queue_report_receipt(
        session,
        student,
        [
            f"Employer added: {employer.name}, starting {_show(employer.start_date)}",
            f"Employment type: {label(employer.employment_type)}",
        ],
        about=f"new employer: {employer.name}",
        actor=actor,
        today=today,
    )
    return employer


def update_employer(
    session: Session, employer: Employer, data: dict, *, actor: Actor, expected_version: int, today: date | None = None
) -> Employer:
    """Change an employer's details.

    Refuses a stale version (with the current values), a deleted employer, bad fields, a name change
    not confirmed as the same job (``data["same_job_confirmed"]``), and, for a student on STEM OPT,
    changes other than job title, supervisor and end date.
    """
    today = today or today_eastern()
    access = access_to_edit(session, employer, actor=actor, expected_version=expected_version, today=today)
    before = employer.snapshot()
    old_values = {name: getattr(employer, name) for name in EDITABLE_FIELDS}
    values = clean_employer_data(with_changes(employer, data))
    changed = {name for name in EDITABLE_FIELDS if values[name] != getattr(employer, name)}
    if not changed:
        return employer
    if "employment_type" in changed and values["self_employed"] != employer.self_employed:
        changed.add("self_employed")  # follows the type; the change list and the SEVIS batch carry it
    stem = employer.opt_authorization is not None and employer.opt_authorization.kind == OptKind.STEM
    if actor.is_student and stem and changed - STEM_STUDENT_EDITABLE:
        raise NotAllowed(
            "On STEM OPT you can change only the job title, the supervisor and the end date. "
            "For a new employer or other changes, submit a new Form I-983 with Add employer."
        )
    if "name" in changed and not is_ticked(data.get("same_job_confirmed")):
        raise RuleBroken(
            "You changed the employer's name. If this is a new job, keep this one and use Add employer instead, "
            "so your history is not overwritten. If it is the same job under a new name, confirm that below.",
            field="name",
        )
    target_opt = employer.opt_authorization
    if "start_date" in changed:
        opt = opt_for_start(access, values["start_date"])
        if opt.id != employer.opt_authorization_id and not (actor.is_student and stem):
            target_opt = opt
    if changed & {"employment_type", "start_date"}:
        require_type_allowed_on(target_opt, values["employment_type"])
    employer.opt_authorization = target_opt
    for name in changed:
        setattr(employer, name, values[name])
    session.flush()
    after = employer.snapshot()
    record_event(
        session,
        actor,
        "employer.updated",
        student=employer.student,
        change_kind=ChangeKind.EMPLOYER,
        subject=f"employer:{employer.id}",
        before={"id": employer.id, "name": before["name"], **{k: before[k] for k in sorted(changed)}},
        after={"id": employer.id, "name": after["name"], **{k: after[k] for k in sorted(changed)}},
    )
    lines = [f"Employer changed: {before['name']}"]
    lines += [
        employer_changed_line(name, old_values[name], values[name]) for name in EDITABLE_FIELDS if name in changed
    ]
    queue_report_receipt(
        session, employer.student, lines, about=f"employer change: {before['name']}", actor=actor, today=today
    )
    return employer


def delete_employer(
    session: Session, employer: Employer, *, actor: Actor, confirmed_never_worked: bool, today: date | None = None
) -> None:
    """Soft-delete an employer the student says they never worked for.

    Refuses without the confirmation and for an employer already deleted.
    """
    if employer.is_deleted:
        raise Conflict("This employer was already deleted.")
    if not confirmed_never_worked:
        raise RuleBroken("Tick 'I have never worked for this employer' to delete it.", field="never_worked")
    access = student_access(session, employer.student, today=today)
    require_actor_may_change(session, access.student, actor, what="employers", access=access)
    before = employer.snapshot()
    employer.deleted_at = utcnow()
    employer.deleted_by_user_id = actor.user_id
    session.flush()
    record_event(
        session,
        actor,
        "employer.deleted",
        student=employer.student,
        change_kind=ChangeKind.EMPLOYER,
        subject=f"employer:{employer.id}",
        before=before,
        after=None,
    )
    queue_report_receipt(
        session,
        employer.student,
        [
            f"Employer deleted: {employer.name}, starting {_show(employer.start_date)} "
            "(you told us you never worked there)"
        ],
        about=f"employer deletion: {employer.name}",
        actor=actor,
        today=today,
    )


def restore_employer(session: Session, employer: Employer, *, actor: Actor) -> Employer:
    """Undo a student's delete (school officials only); refuses an employer that is not deleted."""
    if not actor.is_school_official:
        raise NotAllowed("Only a DSO can restore a deleted employer.")
    if not employer.is_deleted:
        raise Conflict("This employer is not deleted.")
    employer.deleted_at = None
    employer.deleted_by_user_id = None
    session.flush()
    record_event(
        session,
        actor,
        "employer.restored",
        student=employer.student,
        change_kind=ChangeKind.EMPLOYER,
        subject=f"employer:{employer.id}",
        before=None,
        after=employer.snapshot(),
    )
    return employer


def visible_employers(session: Session, access: StudentAccess) -> list[Employer]:
    """The student's employers under the OPTs they can see, not deleted, newest start first (one statement)."""
    if not access.opt_ids:
        return []
    values = {"student_id": access.student.id, "opt_ids": sorted(access.opt_ids)}
    return list(session.scalars(_VISIBLE_EMPLOYERS, values))


# Built once: the student pages run it on every view, and building it cost as much as running it.
_VISIBLE_EMPLOYERS = (
    select(Employer)
    .where(
        Employer.student_id == bindparam("student_id"),
        Employer.deleted_at.is_(None),
        Employer.opt_authorization_id.in_(bindparam("opt_ids", expanding=True)),
    )
    .order_by(Employer.start_date.desc(), Employer.id.desc())
)


def own_employer(session: Session, student: Student, employer_id: int) -> Employer | None:
    """One of the student's employers by id, or None (another student's id is simply not found)."""
    return session.scalar(select(Employer).where(Employer.id == employer_id, Employer.student_id == student.id))


def employers_for_staff(session: Session, student: Student) -> list[Employer]:
    """Every employer of the student, deleted ones and other program records included, for DSO and support pages."""
    return list(
        session.scalars(
            select(Employer)
            .where(Employer.student_id == student.id)
            .order_by(Employer.start_date.desc(), Employer.id.desc())
        )
    )
