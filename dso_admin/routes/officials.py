"""Officials: every official sees the list; the principal DSO appoints and removes (at most ten alternates)."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user

from dso_admin.blueprints import admin
from dso_admin.helpers import own_school_id
from portal.auth import current_actor, official_required, principal_required
from portal.extensions import db
from portal.models import School, User
from portal.models.enums import Role
from portal.models.official_limit import MAX_ALTERNATES
from portal.services.errors import DomainError
from portal.services.officials import active_officials, alternate_count, appoint_official, remove_official
from portal.web import redirect_or_swap, render_page_or_partial


def _context(error: str | None = None, field: str | None = None) -> dict:
    school_id = own_school_id()
    return dict(officials=active_officials(db.session, school_id), alternates=alternate_count(db.session, school_id),
                max_alternates=MAX_ALTERNATES, is_principal=current_user.role is Role.PRINCIPAL_DSO, error=error,
                error_field=field, form=request.form if request.method == "POST" else {})  # fmt: skip


@admin.get("/officials")
@official_required
def officials():
    """The school's officials; the principal also sees the appoint form and Remove buttons."""
    return render_page_or_partial("admin/officials/index.html", "admin/officials/_officials.html", **_context())


@admin.post("/officials")
@principal_required
def appoint():
    """Appoint an alternate official with an account of their own; an eleventh gets a clear message."""
    school = db.session.get(School, own_school_id())
    try:
        official = appoint_official(db.session, school, actor=current_actor(), email=request.form.get("email", ""),
                                    display_name=request.form.get("display_name", ""))  # fmt: skip
    except DomainError as error:
        return render_page_or_partial("admin/officials/index.html", "admin/officials/_officials.html",
                                      status=error.status_code, **_context(error.message, error.field))  # fmt: skip
    db.session.commit()
    flash(f"{official.display_name} is appointed. We emailed them how to set their password.", "success")
    return redirect_or_swap(url_for("admin.officials"), "admin/officials/_officials.html", **_context())


@admin.post("/officials/<int:user_id>/remove")
@principal_required
def remove(user_id: int):
    """Remove an alternate official of the own school (another school's is a 404)."""
    official = db.session.get(User, user_id)
    if official is None or official.school_id != own_school_id():
        abort(404)
    try:
        remove_official(db.session, official, actor=current_actor())
    except DomainError as error:
        return render_page_or_partial("admin/officials/index.html", "admin/officials/_officials.html",
                                      status=error.status_code, **_context(error.message))  # fmt: skip
    db.session.commit()
    flash(f"{official.display_name or official.email} is removed; their account no longer works.", "success")
    return redirect_or_swap(url_for("admin.officials"), "admin/officials/_officials.html", **_context())
