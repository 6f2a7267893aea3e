"""Who is signed in, and route guards by role. A foreign object is a 404, never data.

Authentication is server-side: the signed Flask cookie carries only a random session id
(``session["sid"]``); every request looks up its UserSession row, so ending the row signs the
browser out at once (issue 3 point 8). Flask-Login only supplies ``current_user``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, request, session, url_for
from flask_login import current_user

from portal.extensions import db, login_manager
from portal.models import User
from portal.models.enums import OFFICIAL_ROLES, Role
from portal.routes.student_common import refuse_closed_student
from portal.services.actors import Actor
from portal.services.sessions import session_for_token
from portal.web import redirect_or_swap, wants_partial

SESSION_KEY = "sid"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    # Never used: nothing calls login_user(); the session row below is the only way in.
    return None


@login_manager.request_loader
def _load_user_from_session_row(_request) -> User | None:
    token = session.get(SESSION_KEY)
    if not token:
        return None
    row = session_for_token(db.session, token)
    if db.session.dirty:
        db.session.commit()  # the touch or the timeout must stick even on a read-only page
    if row is None:
        session.pop(SESSION_KEY, None)
        flash("You were signed out: you were away for a while, or the session was closed. Sign in again.", "info")
        return None
    g.user_session = row
    return row.user


@login_manager.unauthorized_handler
def _unauthorized():
    next_path = request.full_path.rstrip("?") if request.method == "GET" and not wants_partial() else None
    target = url_for("auth.sign_in", next=next_path)
    return redirect_or_swap(target) if wants_partial() else redirect(target)


def current_user_session():
    """The UserSession row of this request (None when nobody is signed in)."""
    _ = current_user.is_authenticated  # make Flask-Login load it
    return g.get("user_session")


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site; None for anything else (//evil, https://..., backslashes)."""
    if not target or len(target) > 2000 or any(ord(char) < 32 for char in target):
        return None
    if "\\" in target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def current_actor() -> Actor:
    """The signed-in user as an Actor for the services."""
    return Actor.for_user(current_user)


def roles_required(*roles: Role, refuse: Callable | None = None) -> Callable:
    """Allow only signed-in users with one of ``roles``: anonymous users go to sign-in, others get 403.

    ``refuse`` (optional) returns a response to answer instead of the view, or None to go on.
    """
    allowed = frozenset(roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            refusal = refuse() if refuse is not None else None
            if refusal is not None:
                return refusal
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed  # read by the access-matrix test
        return wrapper

    return decorator


def _closed_student_page():
    """DESIGN rule 5: a student whose access has closed (time passed since sign-in) gets the closed page, never data."""
    return refuse_closed_student()


student_required = roles_required(Role.STUDENT, refuse=_closed_student_page)
official_required = roles_required(*OFFICIAL_ROLES)
principal_required = roles_required(Role.PRINCIPAL_DSO)
support_required = roles_required(Role.SUPPORT)
operator_required = roles_required(Role.OPERATOR)
staff_reader_required = roles_required(*OFFICIAL_ROLES, Role.SUPPORT)
signed_in_required = roles_required(*Role)
