"""What the school must report to SEVIS and by when (rule 15; 22 CFR 62.70)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, JSONType, enum_column, utcnow
from portal.models.enums import ObligationKind


class ReportingObligation(Base):
    __tablename__ = "reporting_obligations"
    __table_args__ = (
        UniqueConstraint("student_id", "kind", "due_on", name="uq_reporting_obligations_once"),
        CheckConstraint("window_opens_on IS NULL OR window_opens_on <= due_on", name="window_before_due"),
        CheckConstraint("(completed_at IS NULL) = (completed_by_user_id IS NULL)", name="completion_has_official"),
        CheckConstraint("(closed_at IS NULL) = (closed_reason IS NULL)", name="closure_has_reason"),
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
    # A STEM duty's OPT (rule 15): the timeline's duty this obligation follows is (OPT, kind, due date).
    opt_authorization_id: Mapped[int | None] = mapped_column(
        ForeignKey("opt_authorizations.id", name="fk_reporting_obligations_opt_authorization"), index=True
    )  # named: the conventional name is over PostgreSQL's 63 characters
    # No longer required (the STEM OPT ended early, was denied, the student transferred or changed level).
    closed_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(String(300))
    # What the student submitted for it ("Confirm my details": the details shown and what changed).
    submission: Mapped[dict | None] = mapped_column(JSONType)
    submitted_at: Mapped[datetime | None]

    student = relationship("Student")
    completed_by = relationship("User")
    opt_authorization = relationship("OptAuthorization")

    @property
    def is_open(self) -> bool:
        return self.completed_at is None and self.closed_at is None

    @classmethod
    def open_condition(cls):
        """Neither recorded by the school nor closed: what the open lists, counts and reminders show."""
        return and_(cls.completed_at.is_(None), cls.closed_at.is_(None))
