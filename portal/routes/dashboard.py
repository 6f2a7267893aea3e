"""The student's dashboard: "am I OK?" first (OPT period, days, employers, what is due, one action), then details."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal.auth import student_required
from portal.extensions import db
from portal.routes.student_common import current_access
from portal.services.dashboard import student_dashboard

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@student_required
def index():
    """Show the student's standing today, what is due next and one primary action, all read from the timeline."""
    access = current_access()
    dashboard = student_dashboard(db.session, access)
    return render_template(
        "dashboard/index.html",
        access=access,
        timeline=access.timeline,
        dashboard=dashboard,
        stem_duties=dashboard.stem_duties,
    )
