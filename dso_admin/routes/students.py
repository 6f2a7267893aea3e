"""The school's students list: search, filters, sorting, page sizes and CSV/XLSX export of the list."""

from __future__ import annotations

from flask import abort, request

from dso_admin.blueprints import admin
from dso_admin.helpers import download, own_school_id
from portal.auth import official_required
from portal.extensions import db
from portal.models import utcnow
from portal.models.enums import OptKind, OptStatus
from portal.services.exports import csv_chunks, xlsx_chunks
from portal.services.obligations import today_eastern
from portal.services.student_search import (
    PAGE_SIZES,
    SORTS,
    account_label_from,
    current_employer_names,
    export_rows_query,
    latest_opt_rows,
    parse,
    school_alerts,
    search_students,
)  # fmt: skip
from portal.web import render_page_or_partial, wants_partial

EXPORT_HEADER = ["SEVIS ID", "Surname", "Given name", "Email", "OPT type", "OPT status", "OPT start", "OPT end",
                 "Portal account", "Current employer"]  # fmt: skip
EXPORT_BATCH = 5000


@admin.get("/students")
@official_required
def students():
    """The own school's students for the search, filters, sort and page in the query string."""
    query = parse(request.args)
    page = search_students(db.session, own_school_id(), query)
    # htmx swaps only the results (search, filters, pages): the alerts above them stay, so skip their counts.
    alerts = [] if wants_partial() else school_alerts(db.session, own_school_id())
    return render_page_or_partial(
        "admin/students/index.html", "admin/students/_results.html", status=422 if query.errors else 200,
        results=page, query=query, alerts=alerts, page_sizes=PAGE_SIZES, sorts=SORTS, opt_kinds=OptKind,
        opt_statuses=OptStatus, account_label=account_label_from, now=utcnow(),
    )  # fmt: skip


def _export_rows(school_id: int, query):
    """Every row of the current list, read as plain columns in batches so memory stays flat and no object is built."""
    session = db.session
    now = utcnow()
    statement = export_rows_query(school_id, query, today=today_eastern()).execution_options(
        stream_results=True, max_row_buffer=EXPORT_BATCH)  # fmt: skip
    # Core rows from a server-side cursor: no ORM row processing for plain columns.
    result = session.connection().execute(statement)
    for partition in result.partitions(EXPORT_BATCH):
        ids = [row.id for row in partition]
        opts = latest_opt_rows(session, ids)
        employers = current_employer_names(session, ids)
        for row in partition:
            opt = opts.get(row.id)
            yield [row.sevis_id, row.surname, row.given_name, row.email,
                   opt.kind.value if opt else "", opt.status.value if opt else "", opt.start_date if opt else None,
                   opt.end_date if opt else None, account_label_from(row.has_user, row.locked_until, row.has_password, now),
                   employers.get(row.id, "")]  # fmt: skip


@admin.get("/students/export.<fmt>")
@official_required
def export_students(fmt: str):
    """The current list (same search and filters, all pages) as CSV or XLSX, streamed."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    query = parse(request.args)
    if query.errors:
        abort(400)
    rows = _export_rows(own_school_id(), query)
    stamp = today_eastern().isoformat()
    if fmt == "csv":
        return download(csv_chunks(EXPORT_HEADER, rows), filename=f"students-{stamp}.csv", kind="csv")
    return download(xlsx_chunks(EXPORT_HEADER, rows, sheet="Students"), filename=f"students-{stamp}.xlsx", kind="xlsx")
