"""Data feed tokens: the principal DSO manages the school's own (/admin/feed-tokens), an operator every school's
(/operator/feed-tokens). A token is shown once, when created; only its hash is kept."""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_login import current_user

from portal.auth import current_actor, principal_required, roles_required
from portal.extensions import db
from portal.forms.feed_tokens import NewFeedTokenForm, RevokeFeedTokenForm
from portal.models.enums import Role
from portal.services.errors import DomainError
from portal.services.feed.tokens import create_feed_token, revoke_feed_token
from portal.services.feed_token_list import feed_token, feed_tokens
from portal.services.schools import school_by_code
from portal.web import redirect_or_swap, render_page_or_partial

bp = Blueprint("feed_tokens", __name__, template_folder="../templates")
PAGE_SIZE = 100


def _is_operator() -> bool:
    return current_user.role == Role.OPERATOR


def _base() -> str:
    return "/operator/feed-tokens" if _is_operator() else "/admin/feed-tokens"


def _check_area() -> None:
    """Operators use /operator/feed-tokens and principal DSOs /admin/feed-tokens; not each other's."""
    if request.path.startswith("/operator/") != _is_operator():
        abort(403)


def _render(form, *, status=200, error=None, new_token=None):
    tokens = feed_tokens(db.session, None if _is_operator() else current_user.school_id, limit=PAGE_SIZE)
    return render_page_or_partial(
        "feed_tokens/index.html",
        "feed_tokens/_form.html",
        status=status,
        form=form,
        error=error,
        tokens=tokens,
        new_token=new_token,
        base=_base(),
        is_operator=_is_operator(),
        revoke_form=RevokeFeedTokenForm(),
    )


@bp.get("/admin/feed-tokens")
@principal_required
def school_tokens():
    """The school's data feed tokens and the form to create one (principal DSO)."""
    return _render(NewFeedTokenForm())


@bp.get("/operator/feed-tokens")
@roles_required(Role.OPERATOR)
def all_tokens():
    """Every school's data feed tokens (operator)."""
    return _render(NewFeedTokenForm())


@bp.post("/admin/feed-tokens")
@bp.post("/operator/feed-tokens")
@roles_required(Role.PRINCIPAL_DSO, Role.OPERATOR)
def create():
    """Create a token and show it once; 422 for a missing name or an unknown school code."""
    _check_area()
    form = NewFeedTokenForm()
    if not form.validate_on_submit():
        return _render(form, status=422)
    if _is_operator():
        school = school_by_code(db.session, (form.school_code.data or "").strip())
        if school is None:
            form.school_code.errors = ["There is no school with that code."]
            return _render(form, status=422)
    else:
        school = current_user.school
    try:
        _token, raw = create_feed_token(db.session, school, name=form.name.data, actor=current_actor())
    except DomainError as error:
        db.session.rollback()
        return _render(form, status=422, error=error.message)
    db.session.commit()
    response = _render(NewFeedTokenForm(), new_token=raw)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/admin/feed-tokens/<int:token_id>/revoke")
@bp.post("/operator/feed-tokens/<int:token_id>/revoke")
@roles_required(Role.PRINCIPAL_DSO, Role.OPERATOR)
def revoke(token_id: int):
    """Revoke a token at once (404 for another school's token)."""
    _check_area()
    RevokeFeedTokenForm().validate_on_submit()
    token = feed_token(db.session, token_id, None if _is_operator() else current_user.school_id)
    if token is None:
        abort(404)
    revoke_feed_token(db.session, token, actor=current_actor())
    db.session.commit()
    return redirect_or_swap(request.path.rsplit("/", 2)[0])
