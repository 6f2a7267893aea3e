"""Reporting obligations: the school's list by due date, overdue first, and Mark complete (one or many)."""

from __future__ import annotations

from flask import flash, request, url_for
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from dso_admin.blueprints import admin
from dso_admin.helpers import own_school_id
from portal.auth import current_actor, official_required
from portal.extensions import db
from portal.models import ReportingObligation
from portal.services.clock import today_eastern
from portal.services.errors import DomainError
from portal.services.obligations import mark_obligations_complete
from portal.services.stem_duties import EVALUATION_KINDS, evaluation_documents
from portal.web import redirect_or_swap, render_page_or_partial

PER_PAGE = 50
MAX_IDS = 1000


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page") or 1), 100_000))
    except ValueError:
        return 1


def _list_context(error: str | None = None) -> dict:
    today = today_eastern()
    show_done = request.args.get("show") == "completed"
    page = _page_number()
    conditions = [ReportingObligation.school_id == own_school_id(),
                  ReportingObligation.completed_at.is_not(None) if show_done else ReportingObligation.open_condition()]  # fmt: skip
    total = db.session.scalar(select(func.count()).select_from(ReportingObligation).where(*conditions))
    overdue_first = case((ReportingObligation.due_on < today, 0), else_=1)
    order = ([ReportingObligation.completed_at.desc()] if show_done
             else [overdue_first, ReportingObligation.due_on, ReportingObligation.id])  # fmt: skip
    rows = list(db.session.scalars(
        select(ReportingObligation).where(*conditions).order_by(*order).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
        .options(selectinload(ReportingObligation.student), selectinload(ReportingObligation.completed_by))))  # fmt: skip
    evaluations = evaluation_documents(db.session, [row.id for row in rows if row.kind in EVALUATION_KINDS])
    return dict(obligations=rows, total=total, page_number=page, per_page=PER_PAGE, today=today, show_done=show_done,
                error=error, evaluations=evaluations)  # fmt: skip


@admin.get("/obligations")
@official_required
def obligations():
    """Open obligations of the official's school by due date, overdue first (or the completed ones)."""
    return render_page_or_partial("admin/obligations/index.html", "admin/obligations/_list.html", **_list_context())


def _chosen_ids() -> list[int] | None:
    raw = request.form.getlist("obligation_ids")
    if len(raw) > MAX_IDS:
        return None
    try:
        return sorted({int(value) for value in raw})
    except ValueError:
        return None


@admin.post("/obligations/complete")
@official_required
def complete_obligations():
    """Mark the chosen obligations complete, each with an event; a double submit or a foreign id changes nothing."""
    ids = _chosen_ids()
    if ids is None:
        return render_page_or_partial("admin/obligations/index.html", "admin/obligations/_list.html", status=422,
                                      **_list_context("Choose obligations from the list."))  # fmt: skip
    chosen = list(db.session.scalars(select(ReportingObligation).where(ReportingObligation.id.in_(ids))
                                     .options(selectinload(ReportingObligation.student))))  # fmt: skip
    if len(chosen) != len(ids):
        return render_page_or_partial("admin/obligations/index.html", "admin/obligations/_list.html", status=404,
                                      **_list_context("Some of those obligations do not exist at your school."))  # fmt: skip
    try:
        mark_obligations_complete(db.session, chosen, actor=current_actor())
    except DomainError as error:
        return render_page_or_partial("admin/obligations/index.html", "admin/obligations/_list.html",
                                      status=error.status_code, **_list_context(error.message))  # fmt: skip
    db.session.commit()
    flash(f"Marked {len(chosen)} obligation{'s' if len(chosen) != 1 else ''} complete. The event history shows it.",
          "success")  # fmt: skip
    return redirect_or_swap(url_for("admin.obligations"), "admin/obligations/_list.html", **_list_context())
