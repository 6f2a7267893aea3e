"""Communications: every email sent to the school's students, searchable by student and template (rule 10).

Stored bodies never hold a usable one-time link: officials read every body, so links are sealed
and inserted only at delivery.
"""

from __future__ import annotations

from flask import request

from dso_admin.blueprints import admin
from dso_admin.helpers import own_school_id
from portal.auth import official_required
from portal.extensions import db
from portal.mail.catalog import CATALOG
from portal.services.labels import template_title
from portal.services.sent_emails import sent_emails
from portal.web import render_page_or_partial

PER_PAGE = 25


def email_page(args, *, school_id: int | None, student_id: int | None = None) -> dict:
    """One page of emails (newest first) for a school, or for one student; three statements whatever the data."""
    q = (args.get("q") or "").strip()
    template = args.get("template") or ""
    error = None
    if len(q) > 200 or any(ord(ch) < 32 for ch in q):
        error, q = "Search for a name, SEVIS ID or email (at most 200 characters).", ""
    if template and template not in CATALOG:
        error, template = "Choose a template from the list.", ""
    try:
        page = max(1, min(int(args.get("page") or 1), 100_000))
    except ValueError:
        page = 1
    rows, total = sent_emails(
        db.session, school_id=school_id, student_id=student_id, q=q, template=template, page=page, per_page=PER_PAGE
    )
    return dict(
        emails=rows,
        total=total,
        page_number=page,
        per_page=PER_PAGE,
        q=q,
        template=template,
        templates=sorted(((name, template_title(name)) for name in CATALOG), key=lambda pair: pair[1].lower()),
        error=error,
    )


@admin.get("/communications")
@official_required
def communications():
    """Every email sent to the official's students: template, subject, full body, status, times, reference code."""
    context = email_page(request.args, school_id=own_school_id())
    return render_page_or_partial(
        "admin/communications/index.html",
        "admin/communications/_emails.html",
        status=422 if context["error"] else 200,
        endpoint="admin.communications",
        **context,
    )
