"""The account blueprint and what its link pages share: the rate limit, no caching, the link check."""

from __future__ import annotations

from flask import Blueprint, current_app

from portal.extensions import db
from portal.models.enums import LinkPurpose
from portal.routes.student_common import closed_page
from portal.services.access import closed_account_for
from portal.services.account_links import find_link, link_problem
from portal.web import render_page_or_partial

bp = Blueprint("account", __name__)


def link_limit() -> str:
    return current_app.config["LINK_RATE_LIMIT"]


def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the path
    return response


def usable_link(token: str, purpose: LinkPurpose):
    """The link for ``token``, and None; or the page saying why it cannot be used (404 unknown, 410 used or expired,
    403 the closed page for a student whose portal access has closed: rule 5, a link is no way back in)."""
    link = find_link(db.session, token, purpose)
    problem = link_problem(link)
    if not problem:
        closed = closed_account_for(db.session, link.user.student)
        return (link, None) if closed is None else (link, no_store(closed_page(closed)))
    return link, no_store(
        render_page_or_partial(
            "account/link_problem.html",
            "account/_link_problem.html",
            status=404 if link is None else 410,
            problem=problem,
        )
    )
