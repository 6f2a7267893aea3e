"""An official's own email digest: off, daily or weekly (issue 12). Only one's own: the route takes no user id."""

from __future__ import annotations

from flask import flash, url_for
from flask_login import current_user

from dso_admin.blueprints import admin
from portal.auth import current_actor, official_required
from portal.extensions import db
from portal.forms.digest import DigestForm
from portal.models import User
from portal.services.digests import set_digest_cadence
from portal.services.errors import DomainError
from portal.services.labels import label
from portal.web import redirect_or_swap, render_page_or_partial, wants_partial


def _page(form: DigestForm, status: int = 200, confirmation: str | None = None):
    return render_page_or_partial(
        "admin/digest/index.html", "admin/digest/_form.html", status=status, form=form, confirmation=confirmation
    )


@admin.get("/digest")
@official_required
def digest_settings():
    """The signed-in official's digest choice."""
    return _page(DigestForm(cadence=current_user.digest_cadence.value))


@admin.post("/digest")
@official_required
def save_digest_settings():
    """Save the signed-in official's digest choice; a missing or unknown choice gets its message on the field (422)."""
    form = DigestForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    official = db.session.get(User, current_user.id)
    try:
        set_digest_cadence(db.session, official, actor=current_actor(), cadence=form.cadence.data)
    except DomainError as error:
        if error.field != "cadence":
            raise
        form.cadence.errors = [error.message]
        return _page(form, status=error.status_code)
    db.session.commit()
    message = f"Saved. Email digest: {label(official.digest_cadence).lower()}."
    if not wants_partial():
        flash(message, "success")
    return redirect_or_swap(
        url_for("admin.digest_settings"),
        "admin/digest/_form.html",
        form=DigestForm(formdata=None, cadence=official.digest_cadence.value),
        confirmation=message,
    )
