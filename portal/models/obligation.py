"""What the school must report to SEVIS and by when (rule 15; 22 CFR 62.70)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, enum_column, utcnow
from portal.models.enums import ObligationKind


class ReportingObligation(Base):
    __tablename__ = "reporting_obligations"
    __table_args__ = (
        UniqueConstraint("student_id", "kind", "due_on", name="uq_reporting_obligations_once"),
        CheckConstraint("window_opens_on IS NULL OR window_opens_on <= due_on", name="window_before_due"),
        CheckConstraint(
            "(completed_at IS NULL) = (completed_by_user_id IS NULL)", name="completion_has_official"
        ),
        Index("ix_reporting_obligations_school_open", "school_id", "completed_at", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    kind: Mapped[ObligationKind] = mapped_column(enum_column(ObligationKind, "obligation_kind"))
    description: Mapped[str] = mapped_column(String(300), default="")
    window_opens_on: Mapped[date | None]
    due_on: Mapped[date]
    source_event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    completed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    student = relationship("Student")
    completed_by = relationship("User")
