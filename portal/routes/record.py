"""Save my record: the student's OPTs, employers, addresses and whole History on one print-ready page."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, render_template
from flask_login import current_user

from portal.auth import student_required
from portal.extensions import db
from portal.routes.student_common import current_access
from portal.services.history import actor_label, describe_changes
from portal.services.saved_record import record_to_save

bp = Blueprint("record", __name__)


@bp.get("/record")
@student_required
def index():
    """The student's whole record to print or save as PDF; read-only students get it too (it is a read)."""
    access = current_access()
    record = record_to_save(db.session, access)
    # Rendered in one piece, the events fetched in batches as the template reaches them: a streamed body would run
    # after the request's teardown has closed the database session the batches come from.
    return render_template(
        "record/index.html",
        access=access,
        timeline=access.timeline,
        record=record,
        describe=describe_changes,
        actor=partial(actor_label, viewer_id=current_user.id),
    )
