"""Support: read-only across schools. Look up a student by name, email or SEVIS ID; open their uploads; work the
problem-report queue."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for

from dso_admin.blueprints import support
from dso_admin.helpers import student_or_404
from dso_admin.routes.communications import email_page
from portal.auth import current_actor, support_required
from portal.extensions import db
from portal.models.enums import ProblemStatus
from portal.routes.documents import send_document
from portal.services.accounts import account_status
from portal.services.documents import own_document, student_documents
from portal.services.errors import DomainError, NotFound
from portal.services.problems import (
    open_report_count,
    problem_report,
    report_queue,
    screenshots_for,
    staff_member,
    student_problem_reports,
    support_staff,
    update_problem_report,
)
from portal.services.staff_history import ACTOR_LABELS, parse_history_filter, student_history
from portal.services.student_lookup import look_up_students
from portal.services.student_record import student_for_support
from portal.services.students import SEVIS_ID_PATTERN
from portal.services.validation import bounded_int
from portal.web import page_arg, redirect_or_swap, render_page_or_partial

PER_PAGE = 25


@support.get("/")
@support_required
def index():
    """Look a student up by name, email or SEVIS ID in any school (an exact SEVIS ID opens the student), and the
    problem reports waiting."""
    raw = (request.args.get("q") or request.args.get("sevis_id") or "").strip()
    if SEVIS_ID_PATTERN.fullmatch(raw.upper()):
        return redirect(url_for("support.student", sevis_id=raw.upper()), code=303)
    found = look_up_students(db.session, raw)
    open_count = open_report_count(db.session)
    return render_page_or_partial(
        "support/index.html",
        "support/_lookup.html",
        status=422 if found.error else 200,
        found=found,
        open_count=open_count,
    )


@support.get("/students/<sevis_id>")
@support_required
def student(sevis_id: str):
    """What support needs to answer "did it happen?": history, emails, account status, program records, documents and
    problem reports with their screenshots."""
    try:
        found = student_for_support(db.session, current_actor(), sevis_id)
    except NotFound:
        abort(404)
    history_filter = parse_history_filter(request.args)
    events, total, types = student_history(db.session, found.id, history_filter)
    emails = email_page({"page": request.args.get("email_page")}, school_id=None, student_id=found.id)
    emails.pop("per_page")  # the history panel's page size is the one this page passes
    problem_reports = student_problem_reports(db.session, found)
    return render_page_or_partial(
        "support/student.html",
        "admin/student/_history.html",
        status=422 if history_filter.error else 200,
        student=found,
        events=events,
        event_total=total,
        event_types=types,
        history_filter=history_filter,
        actor_labels=ACTOR_LABELS,
        account=account_status(found.user),
        per_page=50,
        documents=student_documents(db.session, found),
        problem_reports=problem_reports,
        screenshots=screenshots_for(db.session, [report.id for report in problem_reports]),
        statuses=list(ProblemStatus),
        staff=support_staff(db.session),
        **emails,
    )


@support.get("/students/<sevis_id>/documents/<int:document_id>")
@support_required
def open_document(sevis_id: str, document_id: int):
    """Open any student's upload (Form I-983, evaluation, EAD card, problem screenshot) for support, read-only: a PDF
    downloads, a photo opens as an image; a file that is not this student's is a 404."""
    document = own_document(db.session, student_or_404(sevis_id), document_id)
    if document is None:
        abort(404)
    return send_document(document)


@support.get("/problems")
@support_required
def problems():
    """The problem-report queue, oldest open first; filter by status."""
    raw = request.args.get("status") or ""
    try:
        status = ProblemStatus(raw) if raw else None
    except ValueError:
        status = None
    page = page_arg()
    reports, total = report_queue(db.session, status, page=page, per_page=PER_PAGE)
    return render_page_or_partial(
        "support/problems.html",
        "support/_problems.html",
        reports=reports,
        total=total,
        page_number=page,
        per_page=PER_PAGE,
        status=status,
        statuses=list(ProblemStatus),
        staff=support_staff(db.session),
        screenshots=screenshots_for(db.session, [report.id for report in reports]),
    )


@support.post("/problems/<int:report_id>")
@support_required
def update_problem(report_id: int):
    """Assign, set the status, or write a note the student sees (the answer), through the problems service; back to the
    queue, or to the student's page when the form came from there."""
    report = problem_report(db.session, report_id)
    if report is None:
        abort(404)
    back = (
        url_for("support.student", sevis_id=report.student.sevis_id)
        if request.form.get("back") == "student"
        else url_for("support.problems")
    )
    assignee = None
    raw_assignee = request.form.get("assignee") or ""
    if raw_assignee:
        assignee_id = bounded_int(raw_assignee, minimum=1)
        if assignee_id is None or (assignee := staff_member(db.session, assignee_id)) is None:
            flash("Choose a member of support staff from the list.", "error")
            return redirect_or_swap(back)
    note = request.form.get("note_to_student")
    try:
        update_problem_report(
            db.session,
            report,
            actor=current_actor(),
            status=request.form.get("status") or None,
            assignee=assignee,
            note_to_student=note if note else None,
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect_or_swap(back)
    db.session.commit()
    flash(f"Problem report {report.id} updated.", "success")
    return redirect_or_swap(back)
