"""The attestation every student accepts after each sign-in."""

from __future__ import annotations

from flask_login import current_user

from portal.auth import student_required
from portal.extensions import db
from portal.forms.account import AttestationForm
from portal.routes.account.common import bp
from portal.routes.auth import continue_after_step
from portal.services.accounts import record_attestation
from portal.web import redirect_or_swap, render_page_or_partial


@bp.route("/attestation", methods=["GET", "POST"])
@student_required
def attestation():
    """After each sign-in the student confirms that what they report is true; the acceptance is an event."""
    form = AttestationForm()
    if form.validate_on_submit():
        record_attestation(db.session, current_user)
        db.session.commit()
        return redirect_or_swap(continue_after_step())
    status = 422 if form.is_submitted() else 200
    return render_page_or_partial("auth/attestation.html", "auth/_attestation_form.html", status=status, form=form)
