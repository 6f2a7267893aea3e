"""The signed-in user's security settings: the page, changing the password (also the forced change after an
upgrade, rule 12), and signing out everywhere."""

from __future__ import annotations

from flask import flash, session, url_for
from flask_login import current_user

from portal.auth import current_actor, current_user_session, signed_in_required
from portal.extensions import db
from portal.forms.account import ChangePasswordForm, ConfirmForm
from portal.routes.account.common import bp
from portal.routes.auth import continue_after_step
from portal.routes.student_common import attach_error
from portal.services import mfa, password_changes
from portal.services.errors import DomainError
from portal.services.sessions import end_all_sessions
from portal.services.upgrades import must_change_password
from portal.web import redirect_or_swap, render_page_or_partial


@bp.route("/password/change", methods=["GET", "POST"])
@signed_in_required
def change_password():
    """Change the password (also the forced change after an upgrade); ends the user's other sessions."""
    form = ChangePasswordForm()
    forced = must_change_password(db.session, current_user)
    error = None
    if form.validate_on_submit():
        try:
            password_changes.change_password(
                db.session,
                current_user,
                current_password=form.current_password.data,
                new_password=form.password.data,
                keep=current_user_session(),
            )
        except DomainError as err:
            db.session.rollback()
            error = attach_error(form, err)
        else:
            db.session.commit()
            flash("Your password is changed. You were signed out on your other devices.", "success")
            return redirect_or_swap(continue_after_step() if forced else url_for(".security"))
    status = 422 if form.is_submitted() else 200
    return render_page_or_partial(
        "account/password_change.html",
        "account/_password_change_form.html",
        status=status,
        form=form,
        error=error,
        forced=forced,
    )


@bp.get("/account/security")
@signed_in_required
def security():
    """Password, two-step verification and sessions for the signed-in user."""
    return render_page_or_partial(
        "account/security.html",
        "account/_security.html",
        form=ConfirmForm(),
        mfa_on=mfa.mfa_enabled(current_user),
        mfa_required=mfa.mfa_required(current_user),
        codes_left=mfa.recovery_codes_left(db.session, current_user),
    )


@bp.post("/account/sign-out-everywhere")
@signed_in_required
def sign_out_everywhere():
    """End every session of the signed-in user, this one included."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect_or_swap(url_for(".security"))
    end_all_sessions(db.session, current_user, actor=current_actor(), reason="signed_out_everywhere")
    db.session.commit()
    session.clear()
    flash("You are signed out on every device, this one included.", "success")
    return redirect_or_swap(url_for("auth.sign_in"))
