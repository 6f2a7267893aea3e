"""Finishing account creation from the emailed link (rule 1)."""

from __future__ import annotations

from flask import flash, session, url_for

from portal.extensions import db, limiter
from portal.forms.account import AccountCreationForm, OfficialInvitationForm
from portal.models.enums import LinkPurpose
from portal.routes.account.common import bp, link_limit, no_store, usable_link
from portal.routes.auth import ARRIVED_AFTER_SETUP
from portal.routes.student_common import attach_error
from portal.services.account_links import link_problem
from portal.services.accounts import finish_account_creation
from portal.services.errors import DomainError
from portal.web import redirect_or_swap, render_page_or_partial


@bp.route("/account/create/<token>", methods=["GET", "POST"])
@limiter.limit(link_limit, methods=["POST"])
def create(token: str):
    """Finish creating an account: a student confirms the SEVIS ID, an invited official does not (they have none);
    then choose a password. Refuses a used, void, revoked or expired link."""
    link, refusal = usable_link(token, LinkPurpose.ACCOUNT_CREATION)
    if refusal:
        return refusal
    official = link.user.student_id is None
    form = OfficialInvitationForm() if official else AccountCreationForm()
    error = None
    finished_before = link.user.has_finished_account_creation
    if form.validate_on_submit():
        try:
            finish_account_creation(
                db.session, link, sevis_id=None if official else form.sevis_id.data, password=form.password.data
            )
        except DomainError as err:
            db.session.commit()  # a wrong SEVIS ID counts even though the form is refused
            if link_problem(link):
                return no_store(
                    render_page_or_partial(
                        "account/link_problem.html", "account/_link_problem.html", status=410, problem=err.message
                    )
                )
            error = attach_error(form, err)
        else:
            db.session.commit()
            if official:
                flash(
                    "Your password is set. Sign in with your email address and that password; you will then set up "
                    "two-step verification.",
                    "success",
                )
            else:
                flash(
                    "Your password is set. Sign in with your email address and the new password."
                    if finished_before
                    else "Your account is ready. Sign in with your email address and the password you chose.",
                    "success",
                )
            session[ARRIVED_AFTER_SETUP] = True
            return redirect_or_swap(url_for("auth.sign_in"))
    status = 422 if form.is_submitted() else 200
    return no_store(
        render_page_or_partial(
            "account/create.html",
            "account/_create_form.html",
            status=status,
            form=form,
            error=error,
            link=link,
            token=token,
            finished_before=finished_before,
            official=official,
        )
    )
