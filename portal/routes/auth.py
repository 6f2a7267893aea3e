"""Sign in and sign out, and the steps every sign-in passes before any other page (MFA, forced change, attestation)."""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, request, session, url_for
from flask_login import current_user

from portal.auth import SESSION_KEY, current_user_session, safe_next, signed_in_required
from portal.extensions import db, limiter
from portal.forms.auth import SignInForm
from portal.models import School, User
from portal.models.enums import Role
from portal.routes.student_common import closed_page
from portal.services.mfa import mfa_enabled, mfa_required
from portal.services.office_contact import office_contact
from portal.services.sessions import end_session, start_session
from portal.services.sign_in import sign_in_with_password
from portal.services.site_state import forget_site_state, site_state
from portal.services.upgrades import forced_change_pending, must_change_password
from portal.web import redirect_or_swap, render_page_or_partial

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {
    Role.STUDENT: "/dashboard",
    Role.DSO: "/admin/",
    Role.PRINCIPAL_DSO: "/admin/",
    Role.SUPPORT: "/support/",
    Role.OPERATOR: "/operator/",
}
NEXT_KEY = "after_sign_in"
# Set when this browser has just chosen a password (account creation, a reset); the sign-in clears the session.
ARRIVED_AFTER_SETUP = "arrived_after_setup"
# The school of a student whose session a lockout just ended (set by the account routes).
LOCKED_OUT_SCHOOL = "locked_out_school"
# The one answer to every failed sign-in, whatever the address (DESIGN rule 18): it never says an account exists.
GENERIC_ERROR = (
    "The email address or password is not right. Check both and try again. After several wrong tries "
    "sign-in pauses for a while; resetting your password lets you in at once."
)
# Reachable while a sign-in step is pending (besides the step itself).
_ALWAYS_OPEN = frozenset(
    {"auth.sign_out", "static", "health.healthz", "account.create", "account.reset_request", "account.reset"}
)
# Pages that belong to a step and are open while it is pending (starting setup again with a new key).
_PART_OF_STEP = {"account.mfa_setup_start": "account.mfa_setup", "account.mfa_setup_restart": "account.mfa_setup"}


def home_for(user: User) -> str:
    return HOME_BY_ROLE[user.role]


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


def pending_step(user: User, user_session) -> str | None:
    """The endpoint the user must complete before any other page, or None."""
    if mfa_required(user) or mfa_enabled(user):
        if not mfa_enabled(user):
            return "account.mfa_setup"
        if not user_session.mfa_verified:
            return "account.mfa_verify"
    if must_change_password(db.session, user, upgrade=_forcing_upgrade(user_session)):
        return "account.change_password"
    if user.role is Role.STUDENT and (user.attested_at is None or user.attested_at < user_session.created_at):
        return "account.attestation"
    return None


def _forcing_upgrade(user_session):
    """The last forcing upgrade: the process's copy when it was read after this session began, else the database's
    (rule 12 holds from the very sign-in, whichever server the next request reaches)."""
    state = site_state(db.session)
    if user_session is not None and state.read_at < user_session.created_at:
        return ...  # must_change_password asks the database
    return state.forcing_upgrade


def continue_after_step() -> str:
    """Where to go once a step is done: the next step (the gate decides), the saved page, or home."""
    return safe_next(session.pop(NEXT_KEY, None)) or home_for(current_user)


@bp.before_app_request
def _sign_in_steps_first():
    """Load the session row early, and send a signed-in user to their pending step before anything else."""
    if request.endpoint in _ALWAYS_OPEN or request.endpoint is None:
        return None
    if not current_user.is_authenticated:
        return None
    step = pending_step(current_user, current_user_session())
    if step is None or step in (request.endpoint, _PART_OF_STEP.get(request.endpoint)):
        return None
    return redirect_or_swap(url_for(step))


@bp.teardown_app_request
def _forget_request_user(_exc):
    """The signed-in user belongs to one request; an app context can outlive it (the test client reuses it)."""
    for key in ("_login_user", "user_session", "student_access"):
        g.pop(key, None)


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in():
    """Show the sign-in page and sign a user in; one message for every failure, whatever the address (rule 18); the
    closed page (403) for a student whose portal access has closed, once the password is right."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        result = sign_in_with_password(db.session, form.email.data, form.password.data, client=request.remote_addr)
        if result.user is not None:
            return _start_signed_in_session(result.user)
        db.session.commit()
        if result.closed is not None:
            return closed_page(result.closed)
        error = GENERIC_ERROR
    status = 422 if form.is_submitted() else 200
    # The lockout office is shown once, on the page a signed-in step's lockout redirects to; a sign-in attempt's
    # answer never depends on it (the answer is the same for every address).
    lockout_office = None if form.is_submitted() else _locked_out_office()
    return render_page_or_partial(
        "auth/sign_in.html",
        "auth/_sign_in_form.html",
        status=status,
        form=form,
        error=error,
        lockout_office=lockout_office,
        forced_change_notice=forced_change_notice(),
    )


def _locked_out_office():
    """The office contact of the student a lockout just signed out (their school is known), once; else None."""
    school_id = session.pop(LOCKED_OUT_SCHOOL, None)
    school = db.session.get(School, school_id) if isinstance(school_id, int) else None
    return office_contact(school)


def forced_change_notice() -> bool:
    """Rule 12's Sign In notice, but never for someone who has just set a password (account creation or a reset):
    they are not asked to change it, and the notice would only confuse them."""
    if session.get(ARRIVED_AFTER_SETUP):
        return False
    return forced_change_pending(db.session)


def _start_signed_in_session(user: User):
    """A new session id at every sign-in (no fixation): clear the cookie, open a server-side row."""
    next_path = safe_next(request.args.get("next"))
    session.clear()
    _row, token = start_session(db.session, user, user_agent=request.headers.get("User-Agent", ""))
    db.session.commit()
    forget_site_state()  # this server's next read is newer than the session (see _forcing_upgrade)
    session[SESSION_KEY] = token
    if next_path:
        session[NEXT_KEY] = next_path
    return redirect_or_swap(next_path or home_for(user))


@bp.post("/sign-out")
@signed_in_required
def sign_out():
    """End the current session on the server and forget the cookie."""
    row = current_user_session()
    if row is not None:
        end_session(db.session, row)
        db.session.commit()
    session.clear()
    return redirect_or_swap(url_for("auth.sign_in"))
