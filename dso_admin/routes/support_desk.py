"""Support: read-only across schools. Look up a student by SEVIS ID; work the problem-report queue."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from dso_admin.blueprints import support
from dso_admin.event_history import ACTOR_LABELS, parse_history_filter, student_history
from dso_admin.helpers import any_student_or_404
from dso_admin.routes.communications import email_page
from portal.auth import current_actor, support_required
from portal.extensions import db
from portal.models import ProblemReport, ProgramRecord, Student, User
from portal.models.enums import ProblemStatus, Role
from portal.services.accounts import account_status
from portal.services.errors import DomainError
from portal.services.problems import update_problem_report
from portal.services.students import SEVIS_ID_PATTERN
from portal.web import redirect_or_swap, render_page_or_partial

PER_PAGE = 25


@support.get("/")
@support_required
def index():
    """The SEVIS ID look-up, and the problem reports waiting."""
    raw = (request.args.get("sevis_id") or "").strip().upper()
    error = None
    if raw:
        if SEVIS_ID_PATTERN.fullmatch(raw):
            return redirect(url_for("support.student", sevis_id=raw), code=303)
        error = "A SEVIS ID is the letter N followed by 10 digits, for example N0012345678."
    open_count = db.session.scalar(select(func.count()).select_from(ProblemReport)
                                   .where(ProblemReport.status.in_((ProblemStatus.NEW, ProblemStatus.IN_PROGRESS))))  # fmt: skip
    return render_page_or_partial("support/index.html", "support/_lookup.html", status=422 if error else 200,
                                  error=error, sevis_id=raw, open_count=open_count)  # fmt: skip


@support.get("/students/<sevis_id>")
@support_required
def student(sevis_id: str):
    """What support needs to answer "did it happen?": history, emails, account status, program records."""
    found = any_student_or_404(sevis_id)
    db.session.scalars(select(Student).where(Student.id == found.id).options(
        selectinload(Student.user), selectinload(Student.school),
        selectinload(Student.program_records).selectinload(ProgramRecord.opt_authorizations))).all()  # fmt: skip
    history_filter = parse_history_filter(request.args)
    events, total, types = student_history(db.session, found.id, history_filter)
    emails = email_page({"page": request.args.get("email_page")}, school_id=None, student_id=found.id)
    emails.pop("per_page")  # the history panel's page size is the one this page passes
    return render_page_or_partial(
        "support/student.html", "admin/student/_history.html", status=422 if history_filter.error else 200,
        student=found, events=events, event_total=total, event_types=types, history_filter=history_filter,
        actor_labels=ACTOR_LABELS, account=account_status(found.user), per_page=50, **emails,
    )  # fmt: skip


@support.get("/problems")
@support_required
def problems():
    """The problem-report queue, oldest open first; filter by status."""
    raw = request.args.get("status") or ""
    try:
        status = ProblemStatus(raw) if raw else None
    except ValueError:
        status = None
    try:
        page = max(1, min(int(request.args.get("page") or 1), 100_000))
    except ValueError:
        page = 1
    conditions = [ProblemReport.status == status] if status else [
        ProblemReport.status.in_((ProblemStatus.NEW, ProblemStatus.IN_PROGRESS))]
    total = db.session.scalar(select(func.count()).select_from(ProblemReport).where(*conditions))
    reports = list(db.session.scalars(
        select(ProblemReport).where(*conditions).order_by(ProblemReport.created_at, ProblemReport.id)
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)
        .options(selectinload(ProblemReport.assigned_to), selectinload(ProblemReport.student))))  # fmt: skip
    staff = list(db.session.scalars(select(User).where(User.role == Role.SUPPORT, User.deactivated_at.is_(None))
                                    .order_by(User.display_name)))  # fmt: skip
    return render_page_or_partial("support/problems.html", "support/_problems.html", reports=reports, total=total,
                                  page_number=page, per_page=PER_PAGE, status=status, statuses=list(ProblemStatus),
                                  staff=staff)  # fmt: skip


@support.post("/problems/<int:report_id>")
@support_required
def update_problem(report_id: int):
    """Assign, set the status, or write a note the student sees, through the problems service."""
    report = db.session.get(ProblemReport, report_id)
    if report is None:
        abort(404)
    assignee = None
    raw_assignee = request.form.get("assignee") or ""
    if raw_assignee:
        if not raw_assignee.isdigit() or (assignee := db.session.get(User, int(raw_assignee))) is None:
            flash("Choose a member of support staff from the list.", "error")
            return redirect_or_swap(url_for("support.problems"))
    note = request.form.get("note_to_student")
    try:
        update_problem_report(db.session, report, actor=current_actor(), status=request.form.get("status") or None,
                              assignee=assignee, note_to_student=note if note else None)  # fmt: skip
    except DomainError as error:
        flash(error.message, "error")
        return redirect_or_swap(url_for("support.problems"))
    db.session.commit()
    flash(f"Problem report {report.id} updated.", "success")
    return redirect_or_swap(url_for("support.problems"))
