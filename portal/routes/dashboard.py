"""The student's dashboard: program record, OPTs, what to report, unemployment days, all read from the timeline."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal.auth import student_required
from portal.extensions import db
from portal.routes.student_common import current_access
from portal.services.stem_duties import duties_with_obligations

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@student_required
def index():
    """Show the current program record, its OPTs, reporting duties and the unemployment meter, from the timeline."""
    access = current_access()
    return render_template("dashboard/index.html", access=access, timeline=access.timeline,
                           stem_duties=_stem_duties(access))  # fmt: skip


def _stem_duties(access):
    """The STEM duties waiting for the student (rule 15), read only for a student on STEM OPT."""
    if not (access.is_on_stem and access.can_edit):
        return []
    return [item for item in duties_with_obligations(db.session, access.student, access.timeline) if item.needs_student]
