"""Report a problem: the student's report with screenshots lands in the support queue; its status shows here."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, request, url_for

from portal.auth import current_actor, student_required
from portal.extensions import db
from portal.forms.problems import ProblemReportForm
from portal.routes.student_common import attach_error, current_student
from portal.services.errors import RuleBroken
from portal.services.problems import MAX_SCREENSHOTS, create_problem_report, student_problem_reports
from portal.services.uploads import IMAGE_MAX_BYTES, UploadTooLarge
from portal.web import redirect_or_swap, render_page_or_partial

bp = Blueprint("problems", __name__)

FORM_OVERHEAD_BYTES = 256 * 1024


def _page(form, *, status=200, errors=None):
    return render_page_or_partial(
        "problems/index.html",
        "problems/_form.html",
        status=status,
        form=form,
        errors=errors,
        student=current_student(),
        reports=student_problem_reports(db.session, current_student()),
    )


@bp.get("/problems")
@student_required
def index():
    """The report form (name and SEVIS ID filled in) and the student's earlier reports with their status."""
    return _page(ProblemReportForm())


@bp.post("/problems")
@student_required
def create():
    """File a report; 422 for a missing description or a bad screenshot, 413 for one over 5 MB."""
    if (request.content_length or 0) > MAX_SCREENSHOTS * IMAGE_MAX_BYTES + FORM_OVERHEAD_BYTES:
        raise UploadTooLarge("The screenshots are too large: at most 3 images of 5 MB each.")
    form = ProblemReportForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        create_problem_report(
            db.session,
            current_student(),
            actor=current_actor(),
            description=form.description.data,
            screenshots=form.screenshots.data or [],
            upload_dir=current_app.config["UPLOAD_DIR"],
        )
    except UploadTooLarge as error:
        return _page(form, status=413, errors=attach_error(form, error))
    except RuleBroken as error:
        return _page(form, status=422, errors=attach_error(form, error))
    db.session.commit()
    flash("Thank you. Your report went to the support team; its status shows below.", "success")
    return redirect_or_swap(url_for(".index"))
