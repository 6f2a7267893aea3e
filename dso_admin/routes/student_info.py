"""The Student Information page: record, employers (with Restore), account actions, event history."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dso_admin.blueprints import admin
from dso_admin.event_history import ACTOR_LABELS, parse_history_filter, student_history
from dso_admin.helpers import own_student_or_404
from portal.auth import current_actor, official_required
from portal.extensions import db
from portal.models import Document, Employer, OptAuthorization, ProgramRecord, Student
from portal.models.enums import OptStatus
from portal.services import opt_decisions
from portal.services.accounts import account_status
from portal.services.errors import DomainError
from portal.web import redirect_or_swap, render_page_or_partial


@dataclass
class AccountAction:
    key: str
    label: str
    reason: str | None  # why it is not available; None when it is
    question: str


QUESTIONS = {
    "reset": "Send the student a new account-creation email? Earlier links stop working and the account is unlocked.",
    "unlock": "Unlock the student's account so they can sign in again now?",
    "resend": "Send the account-creation email again? The earlier link stops working.",
}


def account_actions(student: Student, has_approved_opt: bool, status) -> list[AccountAction]:
    """Reset, Unlock and Resend, each available or disabled with the reason (never silently hidden, 001 Q5)."""
    no_opt = None if has_approved_opt else "No approved OPT yet: the account is created when OPT is approved."
    actions = []
    for action in status.available_actions:
        if action.name not in QUESTIONS:
            continue
        reason = None if action.enabled else (action.reason or "Not available for this account.")
        if action.name in ("reset", "resend") and no_opt:
            reason = no_opt
        actions.append(AccountAction(action.name, action.label, reason, QUESTIONS[action.name]))
    return actions


def _load(sevis_id: str) -> Student:
    student = own_student_or_404(sevis_id)
    # Eager-load everything the page shows, a fixed number of statements whatever the record holds.
    db.session.scalars(select(Student).where(Student.id == student.id).options(
        selectinload(Student.user), selectinload(Student.addresses),
        selectinload(Student.program_records).selectinload(ProgramRecord.opt_authorizations),
    )).all()  # fmt: skip
    return student


def _context(student: Student, **extra) -> dict:
    history_filter = parse_history_filter(request.args)
    events, total, types = student_history(db.session, student.id, history_filter)
    employers = list(db.session.scalars(select(Employer).where(Employer.student_id == student.id)
                                        .order_by(Employer.deleted_at.is_not(None), Employer.start_date.desc())))  # fmt: skip
    documents = list(db.session.scalars(select(Document).where(Document.student_id == student.id,
                                                               Document.deleted_at.is_(None))))  # fmt: skip
    status = account_status(student.user)
    return dict(student=student, events=events, event_total=total, event_types=types, history_filter=history_filter,
                actor_labels=ACTOR_LABELS, employers=employers, documents=documents,
                account=status, actions=account_actions(student, _has_approved(student), status),
                per_page=50, **extra)  # fmt: skip


@admin.get("/students/<sevis_id>")
@official_required
def student_info(sevis_id: str):
    """The Student Information page of one of the official's students (another school's is a 404)."""
    student = _load(sevis_id)
    context = _context(student)
    status = 422 if context["history_filter"].error else 200
    return render_page_or_partial("admin/student/index.html", "admin/student/_history.html", status=status, **context)


# --- Account actions: confirm, then act --------------------------------------------------------

ACTIONS = {"reset", "unlock", "resend"}


def _action(student: Student, key: str) -> AccountAction:
    if key not in ACTIONS:
        abort(404)
    actions = {a.key: a for a in account_actions(student, _has_approved(student), account_status(student.user))}
    return actions[key]


def _has_approved(student: Student) -> bool:
    return any(opt.status is OptStatus.APPROVED for record in student.program_records
               for opt in record.opt_authorizations)  # fmt: skip


@admin.get("/students/<sevis_id>/account/<action>")
@official_required
def confirm_account_action(sevis_id: str, action: str):
    """The confirmation for an account action (a dialog for htmx, a page without JavaScript)."""
    student = _load(sevis_id)
    return render_page_or_partial("admin/student/confirm.html", "admin/student/_confirm.html",
                                  student=student, action=_action(student, action))  # fmt: skip


@admin.post("/students/<sevis_id>/account/<action>")
@official_required
def account_action(sevis_id: str, action: str):
    """Reset Portal Account, Unlock or Resend, through the accounts service; refused with the reason when unavailable."""
    from portal.services import accounts

    student = _load(sevis_id)
    chosen = _action(student, action)
    if chosen.reason:
        return render_page_or_partial("admin/student/confirm.html", "admin/student/_confirm.html", status=409,
                                      student=student, action=chosen, error=chosen.reason)  # fmt: skip
    actor = current_actor()
    try:
        if action == "reset":
            accounts.reset_portal_account(db.session, student, actor=actor)
        elif action == "unlock":
            accounts.unlock_account(db.session, student.user, actor=actor)
        else:
            accounts.resend_account_creation(db.session, student, actor=actor)
    except DomainError as error:
        return render_page_or_partial("admin/student/confirm.html", "admin/student/_confirm.html",
                                      status=error.status_code, student=student, action=chosen, error=error.message)  # fmt: skip
    db.session.commit()
    flash(f"{chosen.label}: done. The event history shows it.", "success")
    return redirect_or_swap(url_for("admin.student_info", sevis_id=student.sevis_id))


# --- Employers: restore a deleted one ----------------------------------------------------------


def _own_employer(student: Student, employer_id: int) -> Employer:
    employer = db.session.get(Employer, employer_id)
    if employer is None or employer.student_id != student.id:
        abort(404)
    return employer


@admin.post("/students/<sevis_id>/employers/<int:employer_id>/restore")
@official_required
def restore_employer(sevis_id: str, employer_id: int):
    """Restore an employer the student deleted (rule 2); an employer that is not deleted gets a clear message."""
    from portal.services import employers as employer_service

    student = _load(sevis_id)
    employer = _own_employer(student, employer_id)
    try:
        employer_service.restore_employer(db.session, employer, actor=current_actor())
    except DomainError as error:
        flash(error.message, "error")
        return redirect_or_swap(url_for("admin.student_info", sevis_id=student.sevis_id))
    db.session.commit()
    flash(f"{employer.name} is restored. The student sees it again.", "success")
    return redirect_or_swap(url_for("admin.student_info", sevis_id=student.sevis_id))


# --- OPT decisions -------------------------------------------------------------------------------


def _own_opt(student: Student, opt_id: int) -> OptAuthorization:
    opt = db.session.get(OptAuthorization, opt_id)
    if opt is None or opt.program_record.student_id != student.id:
        abort(404)
    return opt


@admin.post("/students/<sevis_id>/opts/<int:opt_id>/<decision>")
@official_required
def decide_opt(sevis_id: str, opt_id: int, decision: str):
    """Approve or deny a pending OPT request (approval creates the portal account, rule 1)."""
    if decision not in ("approve", "deny"):
        abort(404)
    student = _load(sevis_id)
    opt = _own_opt(student, opt_id)
    try:
        if decision == "approve":
            opt_decisions.approve_opt(db.session, opt, actor=current_actor())
        else:
            opt_decisions.deny_opt(db.session, opt, actor=current_actor(), reason=request.form.get("reason", ""))
    except DomainError as error:
        flash(error.message, "error")
        return redirect_or_swap(url_for("admin.student_info", sevis_id=student.sevis_id))
    db.session.commit()
    flash("OPT approved." if decision == "approve" else "OPT denied.", "success")
    return redirect_or_swap(url_for("admin.student_info", sevis_id=student.sevis_id))


@admin.post("/students/<sevis_id>/email")
@official_required
def change_email(sevis_id: str):
    """Change the student's email of record; both addresses are told."""
    student = _load(sevis_id)
    try:
        opt_decisions.change_email_of_record(db.session, student, actor=current_actor(),
                                             new_email=request.form.get("email", ""))  # fmt: skip
    except DomainError as error:
        flash(error.message, "error")
        return redirect_or_swap(url_for("admin.student_info", sevis_id=student.sevis_id))
    db.session.commit()
    flash("Email of record changed. Both addresses were told.", "success")
    return redirect_or_swap(url_for("admin.student_info", sevis_id=student.sevis_id))
