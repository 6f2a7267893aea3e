"""Two-step verification: setting it up, the second step of sign-in, and turning it off (students only)."""

from __future__ import annotations

from flask import current_app, flash, make_response, redirect, render_template, session, url_for
from flask_login import current_user
from markupsafe import Markup

from portal.auth import current_user_session, signed_in_required, student_required
from portal.extensions import db, limiter
from portal.forms.account import ConfirmForm, MfaCodeForm, TurnOffMfaForm
from portal.routes.account.common import bp, link_limit, no_store
from portal.routes.auth import LOCKED_OUT_SCHOOL, continue_after_step
from portal.routes.student_common import attach_error
from portal.services import mfa
from portal.services.errors import DomainError, SecretUnreadable
from portal.services.sessions import end_session
from portal.services.throttling import record_failed_sign_in
from portal.web import format_eastern, redirect_or_swap, render_page_or_partial


@bp.route("/mfa/setup", methods=["GET", "POST"])
@signed_in_required
def mfa_setup():
    """Turn on two-step verification: scan the QR code, type a code, keep the recovery codes."""
    if mfa.mfa_enabled(current_user):
        return redirect(url_for(".security"))
    form = MfaCodeForm()
    error = None
    if form.validate_on_submit():
        try:
            codes = mfa.confirm_enrolment(db.session, current_user, form.code.data)
        except DomainError as err:
            db.session.rollback()
            error = attach_error(form, err)
        else:
            row = current_user_session()
            row.mfa_verified = True
            db.session.commit()
            response = render_page_or_partial(
                "mfa/recovery_codes.html", "mfa/_recovery_codes.html", codes=codes, next_url=continue_after_step()
            )
            return no_store(response)
    if form.is_submitted():
        # A POST may replace a key that is missing or unreadable, so the error is shown beside a QR code that works.
        secret = mfa.pending_secret(db.session, current_user)
        db.session.commit()
    else:
        # A GET writes nothing (a prefetch or a link must not make a key): with no key yet, the page offers a POST.
        secret = mfa.shown_secret(current_user)
    required = mfa.mfa_required(current_user)
    if secret is None:
        page = render_template("mfa/setup.html", form=ConfirmForm(), secret=None, required=required)
        return no_store(make_response(page))
    uri = mfa.provisioning_uri(current_user, current_app.config["SITE_NAME"])
    status = 422 if form.is_submitted() else 200
    return no_store(
        render_page_or_partial(
            "mfa/setup.html",
            "mfa/_setup_form.html",
            status=status,
            form=form,
            error=error,
            qr=Markup(mfa.qr_svg(uri)),  # noqa: S704 (segno writes the SVG; no user input)
            secret=secret,
            required=required,
        )
    )


@bp.post("/mfa/setup/start")
@signed_in_required
def mfa_setup_start():
    """Make the not-yet-active key that setup shows (a POST, so no link or prefetch makes one); keeps one already made."""
    if mfa.mfa_enabled(current_user):
        return redirect(url_for(".security"))
    if ConfirmForm().validate_on_submit():
        mfa.pending_secret(db.session, current_user)
        db.session.commit()
    return redirect_or_swap(url_for(".mfa_setup"))


@bp.post("/mfa/setup/restart")
@signed_in_required
def mfa_setup_restart():
    """Start setup again with a new key (the old one, never active, stops working); a POST, so no link can do it."""
    if mfa.mfa_enabled(current_user):
        return redirect(url_for(".security"))
    if not ConfirmForm().validate_on_submit():
        return redirect_or_swap(url_for(".mfa_setup"))
    mfa.pending_secret(db.session, current_user, restart=True)
    db.session.commit()
    flash("Here is a new key. Remove the old entry from your authenticator app and scan this one.", "info")
    return redirect_or_swap(url_for(".mfa_setup"))


@bp.route("/mfa/verify", methods=["GET", "POST"])
@signed_in_required
@limiter.limit(link_limit, methods=["POST"])
def mfa_verify():
    """The second step of sign-in: a code from the authenticator app or an unused recovery code."""
    row = current_user_session()
    if row.mfa_verified or not mfa.mfa_enabled(current_user):
        return redirect(continue_after_step())
    form = MfaCodeForm()
    error = None
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            verified = mfa.verify_second_factor(db.session, current_user, form.code.data)
        except SecretUnreadable as err:
            # Our fault, not the user's: no failure is counted, and a recovery code still works.
            db.session.rollback()
            error, status, verified = err.message, err.status_code, False
        if verified:
            row.mfa_verified = True
            db.session.commit()
            return redirect_or_swap(continue_after_step())
        if error is None:
            signed_out = _count_wrong_secret("wrong_mfa_code", what="Too many wrong codes", end_reason="mfa_failures")
            if signed_out is not None:
                return signed_out
            form.code.errors = ["That code is not right. Type the 6-digit code your app shows now, or a recovery code."]
    return render_page_or_partial("mfa/verify.html", "mfa/_verify_form.html", status=status, form=form, error=error)


def _count_wrong_secret(reason: str, *, what: str, end_reason: str):
    """A wrong code or password counts like one at sign-in: the fifth in a row locks the account and ends this
    session; returns the redirect to the sign-in page then, else None (and commits either way)."""
    outcome = record_failed_sign_in(db.session, current_user, reason=reason)
    if outcome.locked_until is None:
        db.session.commit()
        return None
    student = current_user.student
    end_session(db.session, current_user_session(), reason=end_reason)
    db.session.commit()
    session.clear()
    if student is not None:  # signed in a moment ago, so the school is known: the sign-in page says whom to ask
        session[LOCKED_OUT_SCHOOL] = student.school_id
    flash(
        f"{what}: the account is locked until {format_eastern(outcome.locked_until)}. "
        "Reset your password to unlock it at once, or ask your school's DSO.",
        "error",
    )
    return redirect_or_swap(url_for("auth.sign_in"))


# The turn-off form's fields whose wrong value counts like a failed sign-in, and the reason recorded.
WRONG_SECRET_REASONS = {"current_password": "wrong_password", "code": "wrong_mfa_code"}


@bp.route("/account/mfa/turn-off", methods=["GET", "POST"])
@student_required
@limiter.limit(link_limit, methods=["POST"])
def mfa_turn_off():
    """Turn two-step verification off (students; officials must keep it) in a confirmation dialog: the current
    password and a code; ends the other sessions and emails a notice. A wrong password or code counts toward a lock."""
    if not mfa.mfa_enabled(current_user):
        return redirect_or_swap(url_for(".security"))
    form = TurnOffMfaForm()
    error = None
    if form.validate_on_submit():
        try:
            mfa.turn_off_mfa(
                db.session,
                current_user,
                password=form.current_password.data,
                code=form.code.data,
                keep=current_user_session(),
            )
        except DomainError as err:
            db.session.rollback()
            error = attach_error(form, err)
            if err.field in WRONG_SECRET_REASONS:
                signed_out = _count_wrong_secret(
                    WRONG_SECRET_REASONS[err.field], what="Too many wrong tries", end_reason="sign_in_failures"
                )
                if signed_out is not None:
                    return signed_out
        else:
            db.session.commit()
            flash("Two-step verification is off. You were signed out on your other devices.", "success")
            return redirect_or_swap(url_for(".security"))
    # Every refusal is a 422, which htmx swaps into the dialog (a 503 for an unreadable secret would not show).
    return render_page_or_partial(
        "mfa/turn_off.html", "mfa/_turn_off.html", status=422 if form.is_submitted() else 200, form=form, error=error
    )
