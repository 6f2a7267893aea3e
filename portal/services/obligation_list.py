"""What the reporting-obligations page reads: a page of the school's obligations, open (overdue first, then by due
date) or completed (latest first), and the obligations an official ticked."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from portal.models import ReportingObligation


def obligations_page(
    session: Session, school_id: int, *, today: date, show_done: bool, latest_due: date | None, page: int, per_page: int
) -> tuple[list[ReportingObligation], int]:
    """A page of the school's open (or completed) obligations due by ``latest_due``, with the total (two statements and
    the students and officials)."""
    conditions = [
        ReportingObligation.school_id == school_id,
        ReportingObligation.completed_at.is_not(None) if show_done else ReportingObligation.open_condition(),
    ]
    if latest_due is not None:
        conditions.append(ReportingObligation.due_on <= latest_due)
    total = session.scalar(select(func.count()).select_from(ReportingObligation).where(*conditions))
    overdue_first = case((ReportingObligation.due_on < today, 0), else_=1)
    order = (
        [ReportingObligation.completed_at.desc(), ReportingObligation.id]
        if show_done
        else [overdue_first, ReportingObligation.due_on, ReportingObligation.id]
    )
    rows = list(
        session.scalars(
            select(ReportingObligation)
            .where(*conditions)
            .order_by(*order)
            .limit(per_page)
            .offset((page - 1) * per_page)
            .options(selectinload(ReportingObligation.student), selectinload(ReportingObligation.completed_by))
        )
    )
    return rows, total


def obligations_by_id(session: Session, ids: list[int]) -> list[ReportingObligation]:
    """The obligations with these ids, with their students (any school: marking them complete checks the school)."""
    return list(
        session.scalars(
            select(ReportingObligation)
            .where(ReportingObligation.id.in_(ids))
            .order_by(ReportingObligation.id)
            .options(selectinload(ReportingObligation.student))
        )
    )
