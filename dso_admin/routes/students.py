"""The school's students list: search, filters, sorting, page sizes and CSV/XLSX export of the list."""

from __future__ import annotations

from flask import abort, request

from dso_admin.blueprints import admin
from dso_admin.helpers import download, own_school_id
from portal.auth import official_required
from portal.extensions import db
from portal.models import utcnow
from portal.models.enums import OptKind, OptStatus
from portal.services.clock import today_eastern
from portal.services.student_alerts import school_alerts
from portal.services.student_export import export_csv, export_xlsx
from portal.services.student_search import account_label_from, search_students
from portal.services.student_search_terms import PAGE_SIZES, SORTS, parse
from portal.web import render_page_or_partial, wants_partial


@admin.get("/students")
@official_required
def students():
    """The own school's students for the search, filters, sort and page in the query string."""
    query = parse(request.args)
    today = today_eastern()
    page = search_students(db.session, own_school_id(), query, today=today)
    # htmx swaps only the results (search, filters, pages): the alerts above them stay, so skip their counts.
    alerts = [] if wants_partial() else school_alerts(db.session, own_school_id(), today=today)
    return render_page_or_partial(
        "admin/students/index.html",
        "admin/students/_results.html",
        status=422 if query.errors else 200,
        results=page,
        query=query,
        alerts=alerts,
        page_sizes=PAGE_SIZES,
        sorts=SORTS,
        opt_kinds=OptKind,
        opt_statuses=OptStatus,
        account_label=account_label_from,
        now=utcnow(),
    )


@admin.get("/students/export.<fmt>")
@official_required
def export_students(fmt: str):
    """The current list (same search and filters, all pages) as CSV or XLSX, streamed."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    query = parse(request.args)
    if query.errors:
        abort(400)
    today = today_eastern()
    name = f"students-{today.isoformat()}.{fmt}"
    write = export_csv if fmt == "csv" else export_xlsx
    return download(write(db.session, own_school_id(), query, today=today), filename=name, kind=fmt)
