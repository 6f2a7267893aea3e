"""Self-service password reset (rule 7): asking for a link, then choosing a new password from it."""

from __future__ import annotations

from flask import flash, session, url_for

from portal.extensions import db, limiter
from portal.forms.account import ResetPasswordForm, ResetRequestForm
from portal.models.enums import LinkPurpose
from portal.routes.account.common import bp, link_limit, no_store, usable_link
from portal.routes.auth import ARRIVED_AFTER_SETUP
from portal.routes.student_common import attach_error
from portal.services import reset_requests
from portal.services.errors import DomainError
from portal.services.password_changes import complete_password_reset
from portal.web import redirect_or_swap, render_page_or_partial


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(link_limit, methods=["POST"])
def reset_request():
    """Ask for a reset link: the same work and answer whether or not the address has an account (the worker emails);
    refuses a value that is not an email address."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        try:
            reset_requests.record_reset_request(db.session, form.email.data)
        except DomainError as err:
            attach_error(form, err)  # refused before anything was added
        else:
            db.session.commit()
            return render_page_or_partial(
                "account/password_reset_request.html", "account/_password_reset_request.html", form=form, sent=True
            )
    status = 422 if form.is_submitted() else 200
    return render_page_or_partial(
        "account/password_reset_request.html",
        "account/_password_reset_request.html",
        status=status,
        form=form,
        sent=False,
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(link_limit, methods=["POST"])
def reset(token: str):
    """Choose a new password from a reset link: unlocks and signs out everywhere; refuses a used or expired link."""
    link, refusal = usable_link(token, LinkPurpose.PASSWORD_RESET)
    if refusal:
        return refusal
    form = ResetPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            complete_password_reset(db.session, link, password=form.password.data)
        except DomainError as err:
            db.session.rollback()
            error = attach_error(form, err)
        else:
            db.session.commit()
            session.clear()
            flash("Your password is changed and your account is unlocked. Sign in with the new password.", "success")
            session[ARRIVED_AFTER_SETUP] = True
            return redirect_or_swap(url_for("auth.sign_in"))
    status = 422 if form.is_submitted() else 200
    return no_store(
        render_page_or_partial(
            "account/password_reset.html",
            "account/_password_reset_form.html",
            status=status,
            form=form,
            error=error,
            token=token,
        )
    )
