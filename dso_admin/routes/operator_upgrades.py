"""Operator: record a completed upgrade, optionally forcing every student to choose a new password (rule 12)."""

from __future__ import annotations

from flask import Blueprint, flash, url_for

from portal.auth import current_actor, operator_required
from portal.extensions import db
from portal.forms.account import UpgradeForm
from portal.services.errors import DomainError
from portal.services.operator_reads import recent_upgrades
from portal.services.upgrades import complete_upgrade
from portal.web import redirect_or_swap, render_page_or_partial

bp = Blueprint("operator_upgrades", __name__, url_prefix="/operator/upgrades", template_folder="../templates")

RECENT = 20


@bp.route("/", methods=["GET", "POST"])
@operator_required
def index():
    """List recent upgrades and complete a new one; refuses a note that is not one short line."""
    form = UpgradeForm()
    error = None
    if form.validate_on_submit():
        try:
            upgrade = complete_upgrade(
                db.session,
                actor=current_actor(),
                note=form.note.data or "",
                force_password_change=bool(form.force_password_change.data),
            )
        except DomainError as err:
            db.session.rollback()
            error = err.message
        else:
            db.session.commit()
            flash(
                "Upgrade recorded."
                + (
                    " Students will choose a new password at their next sign-in."
                    if upgrade.force_password_change
                    else ""
                ),
                "success",
            )
            return redirect_or_swap(url_for(".index"))
    status = 422 if form.is_submitted() else 200
    return render_page_or_partial(
        "operator/upgrades.html",
        "operator/_upgrades.html",
        status=status,
        form=form,
        error=error,
        upgrades=recent_upgrades(db.session, RECENT),
    )
