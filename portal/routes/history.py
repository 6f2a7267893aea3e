"""The student's History: events with before and after, Email History, and the whole history as CSV."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, Response, request, stream_with_context
from flask_login import current_user

from portal.auth import student_required
from portal.extensions import db
from portal.routes.student_common import current_access, current_student
from portal.services.history import (
    HISTORY_KINDS,
    actor_label,
    by_day,
    clean_kinds,
    describe_changes,
    history_csv,
    student_emails,
    student_events,
)
from portal.web import render_page_or_partial

bp = Blueprint("history", __name__)


@bp.get("/history")
@student_required
def index():
    """The student's events a page at a time, newest first under day headings; the kind filter swaps only the list."""
    kinds = clean_kinds(request.args.getlist("kind"))
    page = student_events(db.session, current_student(), kinds=kinds, page=request.args.get("page", 1))
    return render_page_or_partial(
        "history/index.html",
        "history/_events.html",
        access=current_access(),
        results=page,
        days=by_day(page.items),
        kinds=kinds,
        all_kinds=HISTORY_KINDS,
        describe=describe_changes,
        actor=partial(actor_label, viewer_id=current_user.id),
    )


@bp.get("/history/emails")
@student_required
def emails():
    """Email History: the full text of every email to the student, with its reference code."""
    page = student_emails(db.session, current_student(), page=request.args.get("page", 1))
    return render_page_or_partial("history/emails.html", "history/_emails.html", access=current_access(), results=page)


@bp.get("/history/download.csv")
@student_required
def download():
    """The whole history (events and emails) as a CSV download in the words the page shows, streamed."""
    student = current_student()
    rows = history_csv(db.session, student, viewer_id=current_user.id)
    response = Response(stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="opt-portal-history-{student.sevis_id}.csv"'
    return response
