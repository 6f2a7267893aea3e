"""The student's dashboard: program record, OPTs, what to report, unemployment days."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal.auth import student_required
from portal.extensions import db
from portal.routes.student_common import current_access
from portal.services.access import today_eastern
from portal.services.employers import visible_employers
from portal.services.stem_duties import duties_with_obligations
from portal.services.timelines import student_timeline
from portal.services.unemployment import number_in_words, unemployment_days

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@student_required
def index():
    """Show the current program record, its OPTs, reporting duties and the unemployment meter."""
    today = today_eastern()
    access = current_access()
    employers = visible_employers(db.session, access)
    days = unemployment_days(access.opts, employers, today=today)
    current_jobs = [e for e in employers if e.start_date <= today and (e.end_date is None or e.end_date >= today)]
    return render_template("dashboard/index.html", access=access, employers=employers, days=days,
                           current_jobs=current_jobs, in_words=number_in_words, today=today,
                           stem_duties=_stem_duties(access, today))  # fmt: skip


def _stem_duties(access, today):
    """The STEM duties waiting for the student (rule 15), read only for a student on STEM OPT."""
    if not (access.is_on_stem and access.can_edit):
        return []
    student = access.student
    timeline = student_timeline(db.session, student, today)
    return [item for item in duties_with_obligations(db.session, student, timeline) if item.needs_student]
