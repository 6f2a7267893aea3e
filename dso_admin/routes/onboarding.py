"""Bulk onboarding: a DSO uploads a CSV of students, sees a dry run, applies it with a progress bar, downloads a report."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, url_for
from flask_login import current_user

from portal.auth import current_actor, official_required
from portal.extensions import db
from portal.forms.onboarding import OnboardingStepForm, OnboardingUploadForm
from portal.services.errors import DomainError
from portal.services.onboarding import (
    apply_next_rows,
    check_rows,
    job_lock,
    load_job,
    read_csv,
    report_csv,
    save_job,
    start_job,
)
from portal.web import redirect_or_swap, render_page_or_partial

bp = Blueprint("onboarding", __name__, url_prefix="/admin/onboarding", template_folder="../templates")
SHOWN_ROWS = 500


def _upload_dir() -> str:
    return current_app.config["UPLOAD_DIR"]


@bp.get("/")
@official_required
def index():
    """The upload form."""
    return render_page_or_partial(
        "onboarding/index.html", "onboarding/_upload.html", form=OnboardingUploadForm(), error=None
    )


@bp.post("/")
@official_required
def dry_run():
    """Check every row without writing anything; 422 with the reason for an unreadable file."""
    form = OnboardingUploadForm()
    if not form.validate_on_submit():
        return render_page_or_partial(
            "onboarding/index.html", "onboarding/_upload.html", status=422, form=form, error=None
        )
    try:
        rows = read_csv(form.file.data.read(2 * 1024 * 1024 + 1))
    except DomainError as error:
        return render_page_or_partial(
            "onboarding/index.html", "onboarding/_upload.html", status=422, form=form, error=error.message
        )
    checks = check_rows(db.session, current_user.school, rows)  # reads only: a dry run writes nothing
    valid = [check for check in checks if check.ok]
    job_id = start_job(_upload_dir(), current_user.school, valid, user_id=current_user.id) if valid else None
    problems = [check for check in checks if not check.ok]
    return render_page_or_partial(
        "onboarding/dry_run.html",
        "onboarding/_dry_run.html",
        checks=checks[:SHOWN_ROWS],
        total=len(checks),
        valid_count=len(valid),
        problems=problems[:SHOWN_ROWS],
        problem_count=len(problems),
        job_id=job_id,
        form=OnboardingStepForm(),
    )


def _job(job_id: str) -> dict:
    return load_job(_upload_dir(), job_id, current_user.school_id)


@bp.get("/jobs/<job_id>")
@official_required
def progress(job_id: str):
    """The progress of applying a checked file (404 for another school's job)."""
    return render_page_or_partial(
        "onboarding/progress.html",
        "onboarding/_progress.html",
        state=_job(job_id),
        job_id=job_id,
        form=OnboardingStepForm(),
    )


@bp.post("/jobs/<job_id>/step")
@official_required
def step(job_id: str):
    """Create the next students of the job; htmx polls this until done, a plain form posts it with Continue."""
    OnboardingStepForm().validate_on_submit()
    with job_lock(_upload_dir(), job_id):
        state = _job(job_id)
        if state["position"] < len(state["rows"]):
            state = apply_next_rows(db.session, state, current_user.school, actor=current_actor())
            db.session.commit()
            save_job(_upload_dir(), job_id, state)
    return redirect_or_swap(
        url_for(".progress", job_id=job_id),
        "onboarding/_progress.html",
        state=state,
        job_id=job_id,
        form=OnboardingStepForm(),
    )


@bp.get("/jobs/<job_id>/report.csv")
@official_required
def report(job_id: str):
    """What was done, one line per student, as CSV."""
    response = Response(report_csv(_job(job_id)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="onboarding-{job_id[:8]}.csv"'
    return response
