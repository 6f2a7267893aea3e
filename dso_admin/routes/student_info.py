"""The Student Information page: record, employers (with Restore), account actions, documents, problem reports (read
only), event history."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, request
from sqlalchemy.orm import joinedload

from dso_admin.blueprints import admin
from dso_admin.helpers import (
    commit_and_back,
    own_employer_or_404,
    own_opt_or_404,
    refused_and_back,
    render_dialog,
    student_or_404,
)
from portal.auth import current_actor, official_required
from portal.extensions import db
from portal.models import ProgramRecord, Student
from portal.models.enums import OptStatus
from portal.routes.documents import send_document
from portal.services import accounts, mfa, opt_decisions
from portal.services import employers as employer_service
from portal.services.accounts import account_status
from portal.services.clock import today_eastern
from portal.services.documents import own_document
from portal.services.errors import DomainError, NotFound
from portal.services.obligations import stem_obligations
from portal.services.problems import screenshots_for, student_problem_reports
from portal.services.sevis.results import student_results
from portal.services.staff_history import ACTOR_LABELS, parse_history_filter, student_history
from portal.services.student_record import EMPLOYERS_PER_PAGE, student_record
from portal.web import page_arg, render_page_or_partial


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
    "clear_mfa": "Turn off two-step verification for a student who lost both the phone and the recovery codes? "
    "Check first that it is the student asking. The authenticator app and recovery codes stop working, "
    "the student is signed out everywhere and told by email; until they turn it on again, their "
    "password alone signs them in.",
}


def account_actions(student: Student, has_approved_opt: bool, status) -> list[AccountAction]:
    """Reset, Unlock, Resend and Turn off two-step verification, each available or disabled with the reason (never
    silently hidden, 001 Q5)."""
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
    """The official's student with the records an action needs (another school's is a 404)."""
    return student_or_404(
        sevis_id,
        joinedload(Student.user),
        joinedload(Student.school),
        joinedload(Student.program_records).joinedload(ProgramRecord.opt_authorizations),
    )


@admin.get("/students/<sevis_id>")
@official_required
def student_info(sevis_id: str):
    """The Student Information page of one of the official's students (another school's is a 404)."""
    try:
        record = student_record(
            db.session, current_actor(), sevis_id, today_eastern(), employers_page=page_arg("employers_page")
        )
    except NotFound:
        abort(404)
    student = record.student
    history_filter = parse_history_filter(request.args)
    events, total, types = student_history(db.session, student.id, history_filter)
    status = account_status(student.user)
    evaluations: dict[int, list] = {}
    for document in record.documents:
        if document.obligation_id is not None:
            evaluations.setdefault(document.obligation_id, []).append(document)
    problem_reports = student_problem_reports(db.session, student)
    return render_page_or_partial(
        "admin/student/index.html",
        "admin/student/_history.html",
        status=422 if history_filter.error else 200,
        problem_reports=problem_reports,
        screenshots=screenshots_for(db.session, [report.id for report in problem_reports]),
        student=student,
        info=record,
        timeline=record.timeline,
        days=record.timeline.unemployment,
        stem_obligations=stem_obligations(db.session, student),
        evaluations=evaluations,
        today=record.timeline.today,
        events=events,
        event_total=total,
        event_types=types,
        history_filter=history_filter,
        actor_labels=ACTOR_LABELS,
        employers_per_page=EMPLOYERS_PER_PAGE,
        account=status,
        per_page=50,
        actions=account_actions(student, _has_approved(student), status),
        sevis_results=student_results(db.session, student.id),
    )


# --- Account actions: confirm, then act --------------------------------------------------------

ACTIONS = set(QUESTIONS)


def _action(student: Student, key: str) -> AccountAction:
    if key not in ACTIONS:
        abort(404)
    actions = {a.key: a for a in account_actions(student, _has_approved(student), account_status(student.user))}
    return actions[key]


def _has_approved(student: Student) -> bool:
    return any(
        opt.status is OptStatus.APPROVED for record in student.program_records for opt in record.opt_authorizations
    )


@admin.get("/students/<sevis_id>/account/<action>")
@official_required
def confirm_account_action(sevis_id: str, action: str):
    """The confirmation for an account action (a dialog for htmx, a page without JavaScript)."""
    student = _load(sevis_id)
    chosen = _action(student, action)
    return render_dialog("admin/student/_confirm.html", chosen.label, student=student, action=chosen)


@admin.post("/students/<sevis_id>/account/<action>")
@official_required
def account_action(sevis_id: str, action: str):
    """Reset Portal Account, Unlock, Resend or Turn off two-step verification, through the services; refused with the
    reason when unavailable."""
    student = _load(sevis_id)
    chosen = _action(student, action)
    if chosen.reason:
        return render_dialog(
            "admin/student/_confirm.html", chosen.label, status=409, student=student, action=chosen, error=chosen.reason
        )
    actor = current_actor()
    try:
        if action == "reset":
            accounts.reset_portal_account(db.session, student, actor=actor)
        elif action == "unlock":
            accounts.unlock_account(db.session, student.user, actor=actor)
        elif action == "clear_mfa":
            mfa.turn_off_mfa_for_student(db.session, student, actor=actor)
        else:
            accounts.resend_account_creation(db.session, student, actor=actor)
    except DomainError as error:
        return render_dialog(
            "admin/student/_confirm.html",
            chosen.label,
            status=error.status_code,
            student=student,
            action=chosen,
            error=error.message,
        )
    return commit_and_back(student, f"{chosen.label}: done. The event history shows it.")


# --- Employers: restore a deleted one ----------------------------------------------------------


@admin.get("/students/<sevis_id>/employers/<int:employer_id>/restore")
@official_required
def confirm_restore_employer(sevis_id: str, employer_id: int):
    """The confirmation for Restore (a dialog for htmx, a page without JavaScript); another student's is a 404."""
    student = student_or_404(sevis_id)
    employer = own_employer_or_404(student, employer_id)
    return render_dialog(
        "admin/student/_confirm_restore.html", f"Restore {employer.name}", student=student, employer=employer
    )


@admin.post("/students/<sevis_id>/employers/<int:employer_id>/restore")
@official_required
def restore_employer(sevis_id: str, employer_id: int):
    """Restore an employer the student deleted (rule 2); an employer that is not deleted gets a clear message."""
    student = _load(sevis_id)
    employer = own_employer_or_404(student, employer_id)
    try:
        employer_service.restore_employer(db.session, employer, actor=current_actor())
    except DomainError as error:
        return refused_and_back(student, error)
    return commit_and_back(student, f"{employer.name} is restored. The student sees it again.")


# --- Documents -----------------------------------------------------------------------------------


@admin.get("/students/<sevis_id>/documents/<int:document_id>")
@official_required
def open_document(sevis_id: str, document_id: int):
    """Open one of the student's uploads (Form I-983, evaluation, EAD card, problem screenshot): a PDF downloads, a
    photo opens as an image; another school's student, or another student's file, is a 404."""
    document = own_document(db.session, student_or_404(sevis_id), document_id)
    if document is None:
        abort(404)
    return send_document(document)


# --- OPT decisions -------------------------------------------------------------------------------


@admin.post("/students/<sevis_id>/opts/<int:opt_id>/deny")
@official_required
def deny_opt(sevis_id: str, opt_id: int):
    """Deny a pending OPT request (Approve, which needs the EAD dates, is a form of its own in record_actions)."""
    student = _load(sevis_id)
    opt = own_opt_or_404(student, opt_id)
    try:
        opt_decisions.deny_opt(db.session, opt, actor=current_actor(), reason=request.form.get("reason", ""))
    except DomainError as error:
        return refused_and_back(student, error)
    return commit_and_back(student, "OPT denied.")


@admin.post("/students/<sevis_id>/email")
@official_required
def change_email(sevis_id: str):
    """Change the student's email of record; both addresses are told."""
    student = _load(sevis_id)
    try:
        opt_decisions.change_email_of_record(
            db.session, student, actor=current_actor(), new_email=request.form.get("email", "")
        )
    except DomainError as error:
        return refused_and_back(student, error)
    return commit_and_back(student, "Email of record changed. Both addresses were told.")
