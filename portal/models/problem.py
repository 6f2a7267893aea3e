"""A student's problem report, which lands in the support queue (rule 14)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, enum_column, utcnow
from portal.models.enums import ProblemStatus


class ProblemReport(Base):
    __tablename__ = "problem_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    reporter_name: Mapped[str] = mapped_column(String(120))
    sevis_id: Mapped[str] = mapped_column(String(11))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[ProblemStatus] = mapped_column(
        enum_column(ProblemStatus, "problem_status"), default=ProblemStatus.NEW, index=True
    )
    assigned_to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note_to_student: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    student = relationship("Student")
    assigned_to = relationship("User")
