"""The alerts over the school's students list (the SEVIS convention: an alert appears only when someone is on it),
counted in one statement with the same conditions the list's filters use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import Date, Integer, bindparam, func, select
from sqlalchemy.orm import Session

from portal.models import Student, TimelineMark, utcnow
from portal.models.base import UTCDateTime
from portal.services.clock import today_eastern
from portal.services.student_search import locked_account, marked, reporting_overdue, stem_employer_waiting
from portal.services.timeline import NEARING_LIMIT_REMAINING, MarkKind

ALERTS = (
    ("no_employer", "Approved OPT without current employer information"),
    (
        "nearing_limit",
        f"Unemployment nearing the limit: {NEARING_LIMIT_REMAINING} or fewer unemployment days left "
        "(days without employment add up over the whole OPT, as SEVIS counts them)",
    ),
    ("overdue", "Reporting overdue"),
    ("locked", "Locked portal accounts"),
    ("stem_review", "STEM employers waiting for your review"),
)
ALERT_ARGS = {
    "no_employer": {"no_employer": "1"},
    "nearing_limit": {"nearing_limit": "1"},
    "overdue": {"overdue": "1"},
    "locked": {"account": "locked"},
    "stem_review": {"stem_review": "1"},
}


@dataclass
class Alert:
    key: str
    label: str
    count: int
    args: dict


@cache
def _alert_counts():
    """The counts of every alert as one statement, built once: the school and the day are its parameters."""
    school_id = bindparam("school_id", type_=Integer)
    today = bindparam("today", type_=Date)

    def students_marked(kind: MarkKind):
        # On the marks' (school, kind, period) index alone: the students the filter lists (one mark each a day).
        return select(func.count(TimelineMark.student_id.distinct())).where(*marked(kind, today, school_id))

    def students_where(condition):
        return select(func.count()).select_from(Student).where(Student.school_id == school_id, condition)

    counts = {
        "no_employer": students_marked(MarkKind.UNEMPLOYED),
        "nearing_limit": students_marked(MarkKind.NEARING_LIMIT),
        "overdue": students_where(reporting_overdue(today)),
        "locked": students_where(locked_account(bindparam("now", type_=UTCDateTime))),
        "stem_review": students_where(stem_employer_waiting()),
    }
    # One scalar subquery per alert, each planned on its own index and reading only the students on it.
    return select(*[count.scalar_subquery().label(key) for key, count in counts.items()])


def school_alerts(session: Session, school_id: int, *, today: date | None = None) -> list[Alert]:
    """The alerts that have someone on them on ``today``, with their counts, in one statement."""
    counts = session.execute(
        _alert_counts(), {"school_id": school_id, "today": today or today_eastern(), "now": utcnow()}
    ).one()
    return [
        Alert(key, label, int(getattr(counts, key)), ALERT_ARGS[key]) for key, label in ALERTS if getattr(counts, key)
    ]
