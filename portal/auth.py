"""Who is signed in, and route guards by role. A foreign object is a 404, never data."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from portal.extensions import db, login_manager
from portal.models import User
from portal.models.enums import OFFICIAL_ROLES, Role
from portal.services.actors import Actor


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


@login_manager.unauthorized_handler
def _unauthorized():
    return redirect(url_for("auth.sign_in", next=request.full_path if request.method == "GET" else None))


def current_actor() -> Actor:
    """The signed-in user as an Actor for the services."""
    return Actor.for_user(current_user)


def roles_required(*roles: Role) -> Callable:
    """Allow only signed-in users with one of ``roles``: anonymous users go to sign-in, others get 403."""
    allowed = frozenset(roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed  # read by the access-matrix test
        return wrapper

    return decorator


student_required = roles_required(Role.STUDENT)
official_required = roles_required(*OFFICIAL_ROLES)
principal_required = roles_required(Role.PRINCIPAL_DSO)
support_required = roles_required(Role.SUPPORT)
operator_required = roles_required(Role.OPERATOR)
staff_reader_required = roles_required(*OFFICIAL_ROLES, Role.SUPPORT)
