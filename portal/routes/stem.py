"""STEM OPT duties for the signed-in student: confirm my details (rule 15)."""

from __future__ import annotations

from flask import Blueprint, flash, url_for

from portal.auth import current_actor, student_required
from portal.extensions import db
from portal.forms.stem import ConfirmDetailsForm
from portal.routes.student_common import attach_error, current_access, current_student
from portal.services.errors import Conflict, RuleBroken
from portal.services.stem_duties import confirm_stem_details, details_to_confirm, duties_with_obligations
from portal.services.timeline import DutyKind
from portal.services.timeline.database import student_timeline
from portal.web import redirect_or_swap, render_page_or_partial

bp = Blueprint("stem", __name__)


def _page(form, *, status=200, errors=None):
    student = current_student()
    timeline = student_timeline(db.session, student)
    confirmations = [
        item
        for item in duties_with_obligations(db.session, student, timeline)
        if item.duty.kind is DutyKind.STEM_CONFIRMATION
    ]
    return render_page_or_partial(
        "stem/confirm.html",
        "stem/_confirm_form.html",
        status=status,
        form=form,
        errors=errors,
        access=current_access(),
        confirmations=confirmations,
        waiting=[item for item in confirmations if item.needs_student],
        details=details_to_confirm(db.session, student, timeline),
    )


@bp.get("/stem/confirm")
@student_required
def confirm():
    """Confirm my details: the name, address, employer and employment status the school has, and the form."""
    return _page(ConfirmDetailsForm())


@bp.post("/stem/confirm")
@student_required
def submit_confirmation():
    """Store the confirmation on the school's obligation; 409 when no confirmation is open, 422 for bad input."""
    form = ConfirmDetailsForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        confirm_stem_details(
            db.session,
            current_student(),
            actor=current_actor(),
            details_correct=form.details_correct.data == "yes",
            changes=form.changes.data or "",
        )
    except Conflict as error:
        return _page(form, status=409, errors=error.message)
    except RuleBroken as error:
        return _page(form, status=422, errors=attach_error(form, error))
    db.session.commit()
    flash("Thank you. Your school has your confirmation.", "success")
    return redirect_or_swap(url_for("dashboard.index"))
