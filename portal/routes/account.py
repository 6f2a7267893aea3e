"""Account pages: creation from the emailed link, self-service reset, password change, the attestation,
two-step verification, and signing out everywhere."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, session, url_for
from flask_login import current_user
from markupsafe import Markup

from portal.auth import current_actor, current_user_session, signed_in_required, student_required
from portal.extensions import db, limiter
from portal.forms.account import (
    AccountCreationForm,
    AttestationForm,
    ChangePasswordForm,
    ConfirmForm,
    MfaCodeForm,
    OfficialInvitationForm,
    ResetPasswordForm,
    ResetRequestForm,
    TurnOffMfaForm,
)
from portal.models.enums import LinkPurpose
from portal.routes.auth import ARRIVED_AFTER_SETUP, LOCKED_OUT_SCHOOL, continue_after_step
from portal.routes.student_common import closed_page
from portal.services import accounts, mfa, reset_requests
from portal.services.access import closed_account_for
from portal.services.errors import DomainError, SecretUnreadable
from portal.services.sessions import end_session
from portal.services.throttling import record_failed_sign_in
from portal.web import format_eastern, redirect_or_swap, render_page_or_partial

bp = Blueprint("account", __name__)


def _link_limit() -> str:
    return current_app.config["LINK_RATE_LIMIT"]


def _attach(form, error: DomainError) -> str | None:
    """Put a service's message on its field; return it when it belongs to no field."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
        return None
    return error.message


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the path
    return response


def _usable_link(token: str, purpose: LinkPurpose):
    """The link for ``token``, and None; or the page saying why it cannot be used (404 unknown, 410 used or expired,
    403 the closed page for a student whose portal access has closed: rule 5, a link is no way back in)."""
    link = accounts.find_link(db.session, token, purpose)
    problem = accounts.link_problem(link)
    if not problem:
        closed = closed_account_for(db.session, link.user.student)
        return (link, None) if closed is None else (link, _no_store(closed_page(closed)))
    return link, _no_store(render_page_or_partial("account/link_problem.html", "account/_link_problem.html",
                                                  status=404 if link is None else 410, problem=problem))  # fmt: skip


# ---------------------------------------------------------------- account creation (rule 1)


@bp.route("/account/create/<token>", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"])
def create(token: str):
    """Finish creating an account: a student confirms the SEVIS ID, an invited official does not (they have none);
    then choose a password. Refuses a used, void, revoked or expired link."""
    link, refusal = _usable_link(token, LinkPurpose.ACCOUNT_CREATION)
    if refusal:
        return refusal
    official = link.user.student_id is None
    form = OfficialInvitationForm() if official else AccountCreationForm()
    error = None
    finished_before = link.user.has_finished_account_creation
    if form.validate_on_submit():
        try:
            accounts.finish_account_creation(db.session, link, sevis_id=None if official else form.sevis_id.data,
                                             password=form.password.data)  # fmt: skip
        except DomainError as err:
            db.session.commit()  # a wrong SEVIS ID counts even though the form is refused
            if accounts.link_problem(link):
                return _no_store(render_page_or_partial("account/link_problem.html",
                                                        "account/_link_problem.html", status=410, problem=err.message))  # fmt: skip
            error = _attach(form, err)
        else:
            db.session.commit()
            if official:
                flash("Your password is set. Sign in with your email address and that password; you will then set up "
                      "two-step verification.", "success")  # fmt: skip
            else:
                flash("Your password is set. Sign in with your email address and the new password." if finished_before
                      else "Your account is ready. Sign in with your email address and the password you chose.",
                      "success")  # fmt: skip
            session[ARRIVED_AFTER_SETUP] = True
            return redirect_or_swap(url_for("auth.sign_in"))
    status = 422 if form.is_submitted() else 200
    return _no_store(render_page_or_partial("account/create.html", "account/_create_form.html",
                                            status=status, form=form, error=error, link=link, token=token,
                                            finished_before=finished_before, official=official))  # fmt: skip


# ---------------------------------------------------------------- self-service reset (rule 7)


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"])
def reset_request():
    """Ask for a reset link: the same work and answer whether or not the address has an account (the worker emails);
    refuses a value that is not an email address."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        try:
            reset_requests.record_reset_request(db.session, form.email.data)
        except DomainError as err:
            _attach(form, err)  # refused before anything was added
        else:
            db.session.commit()
            return render_page_or_partial("account/password_reset_request.html", "account/_password_reset_request.html",
                                          form=form, sent=True)  # fmt: skip
    status = 422 if form.is_submitted() else 200
    return render_page_or_partial("account/password_reset_request.html", "account/_password_reset_request.html",
                                  status=status, form=form, sent=False)  # fmt: skip


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"])
def reset(token: str):
    """Choose a new password from a reset link: unlocks and signs out everywhere; refuses a used or expired link."""
    link, refusal = _usable_link(token, LinkPurpose.PASSWORD_RESET)
    if refusal:
        return refusal
    form = ResetPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            accounts.complete_password_reset(db.session, link, password=form.password.data)
        except DomainError as err:
            db.session.rollback()
            error = _attach(form, err)
        else:
            db.session.commit()
            session.clear()
            flash("Your password is changed and your account is unlocked. Sign in with the new password.", "success")
            session[ARRIVED_AFTER_SETUP] = True
            return redirect_or_swap(url_for("auth.sign_in"))
    status = 422 if form.is_submitted() else 200
    return _no_store(render_page_or_partial("account/password_reset.html", "account/_password_reset_form.html",
                                            status=status, form=form, error=error, token=token))  # fmt: skip


# ---------------------------------------------------------------- signed-in steps and settings


@bp.route("/password/change", methods=["GET", "POST"])
@signed_in_required
def change_password():
    """Change the password (also the forced change after an upgrade); ends the user's other sessions."""
    form = ChangePasswordForm()
    forced = accounts.must_change_password(db.session, current_user)
    error = None
    if form.validate_on_submit():
        try:
            accounts.change_password(db.session, current_user, current_password=form.current_password.data,
                                     new_password=form.password.data, keep=current_user_session())  # fmt: skip
        except DomainError as err:
            db.session.rollback()
            error = _attach(form, err)
        else:
            db.session.commit()
            flash("Your password is changed. You were signed out on your other devices.", "success")
            return redirect_or_swap(continue_after_step() if forced else url_for(".security"))
    status = 422 if form.is_submitted() else 200
    return render_page_or_partial("account/password_change.html", "account/_password_change_form.html",
                                  status=status, form=form, error=error, forced=forced)  # fmt: skip


@bp.route("/attestation", methods=["GET", "POST"])
@student_required
def attestation():
    """After each sign-in the student confirms that what they report is true; the acceptance is an event."""
    form = AttestationForm()
    if form.validate_on_submit():
        accounts.record_attestation(db.session, current_user)
        db.session.commit()
        return redirect_or_swap(continue_after_step())
    status = 422 if form.is_submitted() else 200
    return render_page_or_partial("auth/attestation.html", "auth/_attestation_form.html", status=status, form=form)


@bp.get("/account/security")
@signed_in_required
def security():
    """Password, two-step verification and sessions for the signed-in user."""
    return render_page_or_partial("account/security.html", "account/_security.html",
                                  form=ConfirmForm(), mfa_on=mfa.mfa_enabled(current_user),
                                  mfa_required=mfa.mfa_required(current_user),
                                  codes_left=mfa.recovery_codes_left(db.session, current_user))  # fmt: skip


@bp.post("/account/sign-out-everywhere")
@signed_in_required
def sign_out_everywhere():
    """End every session of the signed-in user, this one included."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect_or_swap(url_for(".security"))
    accounts.end_all_sessions(db.session, current_user, actor=current_actor(), reason="signed_out_everywhere")
    db.session.commit()
    session.clear()
    flash("You are signed out on every device, this one included.", "success")
    return redirect_or_swap(url_for("auth.sign_in"))


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
            error = _attach(form, err)
        else:
            row = current_user_session()
            row.mfa_verified = True
            db.session.commit()
            response = render_page_or_partial("mfa/recovery_codes.html", "mfa/_recovery_codes.html",
                                              codes=codes, next_url=continue_after_step())  # fmt: skip
            return _no_store(response)
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
        return _no_store(make_response(page))
    uri = mfa.provisioning_uri(current_user, current_app.config["SITE_NAME"])
    status = 422 if form.is_submitted() else 200
    return _no_store(render_page_or_partial("mfa/setup.html", "mfa/_setup_form.html", status=status,
                                            form=form, error=error, qr=Markup(mfa.qr_svg(uri)),  # noqa: S704 (segno writes the SVG; no user input)
                                            secret=secret, required=required))  # fmt: skip


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
@limiter.limit(_link_limit, methods=["POST"])
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
    return render_page_or_partial("mfa/verify.html", "mfa/_verify_form.html", status=status,
                                  form=form, error=error)  # fmt: skip


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
    flash(f"{what}: the account is locked until {format_eastern(outcome.locked_until)}. "
          "Reset your password to unlock it at once, or ask your school's DSO.", "error")  # fmt: skip
    return redirect_or_swap(url_for("auth.sign_in"))


# The turn-off form's fields whose wrong value counts like a failed sign-in, and the reason recorded.
WRONG_SECRET_REASONS = {"current_password": "wrong_password", "code": "wrong_mfa_code"}


@bp.route("/account/mfa/turn-off", methods=["GET", "POST"])
@student_required
@limiter.limit(_link_limit, methods=["POST"])
def mfa_turn_off():
    """Turn two-step verification off (students; officials must keep it) in a confirmation dialog: the current
    password and a code; ends the other sessions and emails a notice. A wrong password or code counts toward a lock."""
    if not mfa.mfa_enabled(current_user):
        return redirect_or_swap(url_for(".security"))
    form = TurnOffMfaForm()
    error = None
    if form.validate_on_submit():
        try:
            mfa.turn_off_mfa(db.session, current_user, password=form.current_password.data, code=form.code.data,
                             keep=current_user_session())  # fmt: skip
        except DomainError as err:
            db.session.rollback()
            error = _attach(form, err)
            if err.field in WRONG_SECRET_REASONS:
                signed_out = _count_wrong_secret(WRONG_SECRET_REASONS[err.field], what="Too many wrong tries",
                                                 end_reason="sign_in_failures")  # fmt: skip
                if signed_out is not None:
                    return signed_out
        else:
            db.session.commit()
            flash("Two-step verification is off. You were signed out on your other devices.", "success")
            return redirect_or_swap(url_for(".security"))
    # Every refusal is a 422, which htmx swaps into the dialog (a 503 for an unreadable secret would not show).
    return render_page_or_partial("mfa/turn_off.html", "mfa/_turn_off.html",
                                  status=422 if form.is_submitted() else 200, form=form, error=error)  # fmt: skip
