"""The student's dashboard: program record, OPTs, what to report, unemployment days, all read from the timeline."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal.auth import student_required
from portal.routes.student_common import current_access

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@student_required
def index():
    """Show the current program record, its OPTs, reporting duties and the unemployment meter, from the timeline."""
    access = current_access()
    return render_template("dashboard/index.html", access=access, timeline=access.timeline)
