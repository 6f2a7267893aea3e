"""What the school's overview charts count: open obligations due, and portal changes, week by week."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from portal.models import Event, ReportingObligation
from portal.services.clock import start_of_day_utc


def _week_sums(column, starts: list, ends: list):
    return [
        func.coalesce(
            func.sum(
                case(
                    (column.between(start, end) if isinstance(start, date) else (column >= start) & (column < end), 1),
                    else_=0,
                )
            ),
            0,
        )
        for start, end in zip(starts, ends, strict=True)
    ]


def obligations_due_by_week(session: Session, school_id: int, starts: list[date]) -> list[int]:
    """Open obligations due in each week starting on ``starts`` (overdue ones counted in the first), in one statement."""
    ends = [start + timedelta(days=6) for start in starts]
    starts_with_overdue = [date(1900, 1, 1)] + starts[1:]
    row = session.execute(
        select(*_week_sums(ReportingObligation.due_on, starts_with_overdue, ends)).where(
            ReportingObligation.school_id == school_id, ReportingObligation.open_condition()
        )
    ).one()
    return [int(value) for value in row]


def changes_by_week(session: Session, school_id: int, days: list[date]) -> list[int]:
    """What the school's students changed in the portal in each week starting on ``days`` (US Eastern), in one
    statement."""
    starts = [start_of_day_utc(day) for day in days]
    ends = starts[1:] + [start_of_day_utc(days[-1] + timedelta(weeks=1))]
    row = session.execute(
        select(*_week_sums(Event.occurred_at, starts, ends)).where(
            Event.school_id == school_id, Event.change_kind.is_not(None), Event.occurred_at >= starts[0]
        )
    ).one()
    return [int(value) for value in row]
