"""The dated marks of each student's timeline, kept beside the records they are computed from.

A row is derived data, never a fact: portal.services.timeline.database rewrites a student's rows whenever a
flush touches that student's program records, OPTs or employers, so the DSO lists and the daily
notices can index "who is unemployed today" or "whose access closes today" without counting again.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base


class TimelineMark(Base):
    __tablename__ = "timeline_marks"
    __table_args__ = (
        # The DSO filters and alert counts: a school's students with a period of this kind covering today.
        Index("ix_timeline_marks_school_kind_period", "school_id", "kind", "starts_on", "ends_on"),
        # The daily sweep: every mark of a kind that falls on a day, across schools.
        Index("ix_timeline_marks_kind_day", "kind", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    kind: Mapped[str] = mapped_column(String(32))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    detail: Mapped[str] = mapped_column(String(64), default="")


class TimelineMarksVersion(Base):
    """The one row saying which version of the marks rules (``timeline.marks.MARKS_VERSION``) computed the stored
    marks; the worker recomputes them all when the rules are newer (migration 0023 starts it at 1: 0012's rules)."""

    __tablename__ = "timeline_marks_version"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int]
    refreshed_at: Mapped[datetime | None]
