"""Sign in and sign out."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from portal.extensions import db
from portal.forms.auth import SignInForm
from portal.models import User
from portal.models.enums import Role
from portal.services.passwords import verify_password

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {
    Role.STUDENT: "/dashboard",
    Role.DSO: "/admin/",
    Role.PRINCIPAL_DSO: "/admin/",
    Role.SUPPORT: "/support/",
    Role.OPERATOR: "/operator/",
}


def home_for(user: User) -> str:
    return HOME_BY_ROLE[user.role]


@bp.route("/", methods=["GET", "POST"])
def sign_in():
    """Show the sign-in page and sign a user in; one generic message for a wrong email or password."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        if user is not None and user.is_active and verify_password(user.password_hash, form.password.data):
            login_user(user)
            return redirect(home_for(user), code=303)
        error = "The email address or password is not right. Check both and try again."
    status = 422 if form.is_submitted() else 200
    return render_template("pages/sign_in.html", form=form, error=error), status


@bp.post("/sign-out")
def sign_out():
    """End the current session."""
    logout_user()
    return redirect(url_for("auth.sign_in"), code=303)
