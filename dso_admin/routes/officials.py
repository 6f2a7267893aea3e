"""Officials: every official sees the list; the principal DSO appoints and removes DSOs (as many as the school needs)
and hands the principal role over to one of them."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user

from dso_admin.blueprints import admin
from dso_admin.helpers import own_school_id, render_dialog
from portal.auth import current_actor, official_required, principal_required
from portal.extensions import db
from portal.models import School, User
from portal.models.enums import Role
from portal.services.errors import DomainError
from portal.services.officials import (
    active_officials,
    appoint_official,
    hand_over_principal,
    open_invitations,
    remove_official,
    resend_invitation,
    revoke_invitation,
)
from portal.web import redirect_or_swap, render_page_or_partial, wants_partial


def _context(error: str | None = None, field: str | None = None, confirmation: str | None = None) -> dict:
    school_id = own_school_id()
    return dict(
        officials=active_officials(db.session, school_id),
        invitations=open_invitations(db.session, school_id),
        is_principal=current_user.role is Role.PRINCIPAL_DSO,
        error=error,
        error_field=field,
        confirmation=confirmation,
        form=request.form if request.method == "POST" else {},
    )


def _own_official_or_404(user_id: int) -> User:
    official = db.session.get(User, user_id)
    if official is None or official.school_id != own_school_id() or official.role not in (Role.DSO, Role.PRINCIPAL_DSO):
        abort(404)
    return official


def _done(message: str):
    """After a change: the list swapped in place with the confirmation (htmx), or a redirect that shows it."""
    if not wants_partial():
        flash(message, "success")
    return redirect_or_swap(
        url_for("admin.officials"), "admin/officials/_officials.html", **_context(confirmation=message)
    )


def _refused(error: DomainError, field: str | None = None):
    """The list again with the refusal's message (on the field when there is one) and its status."""
    return render_page_or_partial(
        "admin/officials/index.html",
        "admin/officials/_officials.html",
        status=error.status_code,
        **_context(error.message, field),
    )


@admin.get("/officials")
@official_required
def officials():
    """The school's officials; the principal also sees the appoint form, Remove and Make principal DSO."""
    return render_page_or_partial("admin/officials/index.html", "admin/officials/_officials.html", **_context())


@admin.post("/officials")
@principal_required
def appoint():
    """Appoint a DSO with an account of their own; bad input or an email in use gets a clear message."""
    school = db.session.get(School, own_school_id())
    try:
        official = appoint_official(
            db.session,
            school,
            actor=current_actor(),
            email=request.form.get("email", ""),
            display_name=request.form.get("display_name", ""),
        )
    except DomainError as error:
        return _refused(error, error.field)
    db.session.commit()
    return _done(
        f"{official.display_name} is appointed. We emailed them an invitation to set their password; the "
        "link works for 14 days."
    )


@admin.post("/officials/<int:user_id>/remove")
@principal_required
def remove(user_id: int):
    """Remove a DSO of the own school (another school's is a 404)."""
    return _official_action(user_id, remove_official, "{name} is removed; their account no longer works.")


def _official_action(user_id: int, action, done: str):
    """Apply one change to an official of the own school: the list with its confirmation, or with the refusal."""
    official = _own_official_or_404(user_id)
    try:
        action(db.session, official, actor=current_actor())
    except DomainError as error:
        return _refused(error)
    db.session.commit()
    return _done(done.format(name=official.display_name or official.email))


@admin.post("/officials/<int:user_id>/invitation/resend")
@principal_required
def resend_official_invitation(user_id: int):
    """Email an official who has not set a password a new invitation; the old link stops working."""
    return _official_action(
        user_id, resend_invitation, "We emailed {name} a new invitation; the earlier link no longer works."
    )


@admin.post("/officials/<int:user_id>/invitation/revoke")
@principal_required
def revoke_official_invitation(user_id: int):
    """Withdraw an invitation nobody accepted: the link then says it was revoked."""
    return _official_action(
        user_id, revoke_invitation, "The invitation of {name} is revoked; its link no longer works."
    )


@admin.get("/officials/<int:user_id>/hand-over")
@principal_required
def confirm_hand_over(user_id: int):
    """The confirmation for handing the principal role over (a dialog for htmx, a page without JavaScript)."""
    official = _own_official_or_404(user_id)
    return render_dialog(
        "admin/officials/_confirm_hand_over.html", "Hand over the principal DSO role", official=official
    )


@admin.post("/officials/<int:user_id>/hand-over")
@principal_required
def hand_over(user_id: int):
    """Make another official of the own school the principal DSO; the signed-in principal becomes a DSO."""
    official = _own_official_or_404(user_id)
    try:
        hand_over_principal(db.session, official, actor=current_actor())
    except DomainError as error:
        return render_dialog(
            "admin/officials/_confirm_hand_over.html",
            "Hand over the principal DSO role",
            status=error.status_code,
            official=official,
            error=error.message,
        )
    db.session.commit()
    flash(f"{official.display_name or official.email} is now the principal DSO, and you are a DSO.", "success")
    return redirect_or_swap(url_for("admin.officials"))
