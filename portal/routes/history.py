"""The student's History: events with before and after, Email History, and the whole history as CSV."""

from __future__ import annotations

from flask import Blueprint, Response, request, stream_with_context
from flask_login import current_user

from portal.auth import student_required
from portal.extensions import db
from portal.routes.student_common import current_access, current_student
from portal.services.history import (
    HISTORY_KINDS,
    clean_kinds,
    describe_changes,
    history_csv,
    student_emails,
    student_events,
)
from portal.web import render_page_or_partial

bp = Blueprint("history", __name__)

EVENT_LABELS = {
    "employer.added": "Employer added", "employer.updated": "Employer changed", "employer.deleted": "Employer deleted",
    "employer.restored": "Employer restored by your school", "employer.reviewed": "Employer reviewed by your school",
    "address.physical_changed": "Physical address changed", "address.mailing_changed": "Mailing address changed",
    "address.mailing_removed": "Mailing address removed", "contact.phone_changed": "Phone number changed",
    "contact.email_change_requested": "Email change requested", "document.uploaded": "Form I-983 uploaded",
    "problem.reported": "Problem reported", "problem.updated": "Problem report updated",
    "student.created": "Student record created", "program.opened": "Program record opened",
    "opt.requested": "OPT requested",
}  # fmt: skip


def event_label(event_type: str) -> str:
    return EVENT_LABELS.get(event_type) or event_type.replace(".", ": ").replace("_", " ").capitalize()


def actor_label(event) -> str:
    kind = event.actor_kind.value
    if kind == "student":
        return "You" if event.actor_user_id == current_user.id else event.actor_label
    return {"school_official": f"Your school ({event.actor_label})", "support": "Support staff",
            "data_feed": "SEVIS data feed", "system": "The portal"}.get(kind, event.actor_label)  # fmt: skip


@bp.get("/history")
@student_required
def index():
    """Every event about the student, newest first, filterable by kind; the filter swaps only the list."""
    kinds = clean_kinds(request.args.getlist("kind"))
    page = student_events(db.session, current_student(), kinds=kinds, page=request.args.get("page", 1))
    return render_page_or_partial(
        "history/index.html", "history/_events.html", access=current_access(), results=page, kinds=kinds,
        all_kinds=HISTORY_KINDS, describe=describe_changes, label=event_label, actor=actor_label,
    )  # fmt: skip


@bp.get("/history/emails")
@student_required
def emails():
    """Email History: the full text of every email to the student, with its reference code."""
    page = student_emails(db.session, current_student(), page=request.args.get("page", 1))
    return render_page_or_partial("history/emails.html", "history/_emails.html", access=current_access(), results=page)


@bp.get("/history/download.csv")
@student_required
def download():
    """The whole history (events and emails) as a CSV download, streamed."""
    student = current_student()
    response = Response(stream_with_context(history_csv(db.session, student)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="opt-portal-history-{student.sevis_id}.csv"'
    return response
