"""STEM duties on the officials' side (rule 15): open and download a student's documents (Form I-983 and its
evaluations), and mark an evaluation reviewed, which completes its obligation."""

from __future__ import annotations

from flask import abort, flash, request, url_for

from dso_admin.blueprints import admin
from dso_admin.helpers import commit_and_back, refused_and_back, student_or_404
from portal.auth import current_actor, official_required
from portal.extensions import db
from portal.models import ReportingObligation
from portal.services.errors import DomainError
from portal.services.stem_duties import review_evaluation
from portal.web import redirect_or_swap


@admin.post("/students/<sevis_id>/obligations/<int:obligation_id>/review")
@official_required
def review_evaluation_obligation(sevis_id: str, obligation_id: int):
    """Mark an uploaded Form I-983 evaluation reviewed (completes its obligation); refused with the reason otherwise."""
    student = student_or_404(sevis_id)
    obligation = db.session.get(ReportingObligation, obligation_id)
    if obligation is None or obligation.student_id != student.id:
        abort(404)
    try:
        review_evaluation(db.session, obligation, actor=current_actor())
    except DomainError as error:
        return refused_and_back(student, error)
    if request.form.get("back") == "obligations":
        db.session.commit()
        flash(f"{obligation.description} Marked reviewed; the event history shows it.", "success")
        return redirect_or_swap(url_for("admin.obligations"))
    return commit_and_back(student, f"{obligation.description} Marked reviewed; the event history shows it.")
