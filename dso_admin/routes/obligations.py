"""Reporting obligations: the school's list by due date, overdue first, filtered by when they are due, and Mark
complete (one, many, or all shown), confirmed in place."""

from __future__ import annotations

from flask import flash, request, url_for
from werkzeug.datastructures import MultiDict

from dso_admin.blueprints import admin
from dso_admin.helpers import own_school_id
from portal.auth import current_actor, official_required
from portal.extensions import db
from portal.services.clock import today_eastern
from portal.services.errors import DomainError
from portal.services.obligation_list import obligations_by_id, obligations_page
from portal.services.obligations import DUE_WITHIN_DAYS, DueFilter, mark_obligations_complete, parse_due_filter
from portal.services.stem_duties import EVALUATION_KINDS, evaluation_documents
from portal.services.validation import bounded_int
from portal.web import page_arg, redirect_or_swap, render_page_or_partial, wants_partial

PER_PAGE = 50
MAX_IDS = 1000


def _page_number() -> int:
    return page_arg()


def _due_filter() -> tuple[DueFilter, str | None]:
    """The due-date filter in the request's URL, or none and the message saying what to fix."""
    try:
        return parse_due_filter(request.args.get("due"), request.args.get("before")), None
    except DomainError as error:
        return DueFilter(), error.message


def _list_context(error: str | None = None, confirmation: str | None = None) -> dict:
    today = today_eastern()
    show_done = request.args.get("show") == "completed"
    page = _page_number()
    due_filter, filter_error = _due_filter()
    rows, total = obligations_page(
        db.session,
        own_school_id(),
        today=today,
        show_done=show_done,
        latest_due=due_filter.latest_due(today),
        page=page,
        per_page=PER_PAGE,
    )
    evaluations = evaluation_documents(db.session, [row.id for row in rows if row.kind in EVALUATION_KINDS])
    return dict(
        obligations=rows,
        total=total,
        page_number=page,
        per_page=PER_PAGE,
        today=today,
        show_done=show_done,
        error=error or filter_error,
        filter_error=filter_error,
        confirmation=confirmation,
        evaluations=evaluations,
        due_filter=due_filter,
        due_args=due_filter.query_args(),
        within_days=DUE_WITHIN_DAYS,
    )


@admin.get("/obligations")
@official_required
def obligations():
    """Open obligations of the official's school by due date, overdue first (or the completed ones), filtered by
    when they are due; a filter it cannot read is a 422 saying what to fix."""
    context = _list_context()
    return render_page_or_partial(
        "admin/obligations/index.html",
        "admin/obligations/_list.html",
        status=422 if context["filter_error"] else 200,
        **context,
    )


def _chosen_ids() -> list[int] | None:
    """The ticked rows, or every row the page showed when "Choose all" was ticked (that works without JavaScript)."""
    form: MultiDict = request.form
    raw = form.getlist("obligation_ids") + (form.getlist("shown_ids") if form.get("choose_all") else [])
    if len(raw) > MAX_IDS:
        return None
    ids = {bounded_int(value, minimum=1) for value in raw}
    return None if None in ids else sorted(ids)


@admin.post("/obligations/complete")
@official_required
def complete_obligations():
    """Mark the chosen obligations complete, each with an event; a double submit or a foreign id changes nothing."""
    ids = _chosen_ids()
    if ids is None:
        return render_page_or_partial(
            "admin/obligations/index.html",
            "admin/obligations/_list.html",
            status=422,
            **_list_context("Choose obligations from the list."),
        )
    chosen = obligations_by_id(db.session, ids)
    if len(chosen) != len(ids):
        return render_page_or_partial(
            "admin/obligations/index.html",
            "admin/obligations/_list.html",
            status=404,
            **_list_context("Some of those obligations do not exist at your school."),
        )
    try:
        mark_obligations_complete(db.session, chosen, actor=current_actor())
    except DomainError as error:
        return render_page_or_partial(
            "admin/obligations/index.html",
            "admin/obligations/_list.html",
            status=error.status_code,
            **_list_context(error.message),
        )
    db.session.commit()
    done = f"Marked {len(chosen)} obligation{'s' if len(chosen) != 1 else ''} complete. The event history shows it."
    if not wants_partial():  # htmx shows it in the swapped list instead, where focus goes
        flash(done, "success")
    if not wants_partial():
        return redirect_or_swap(url_for("admin.obligations", **_due_filter()[0].query_args()))
    return redirect_or_swap(
        url_for("admin.obligations"), "admin/obligations/_list.html", **_list_context(confirmation=done)
    )
