"""Uploaded files (Form I-983, problem screenshots): metadata here, bytes outside the web root."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, enum_column, utcnow
from portal.models.enums import DocumentKind


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, "document_kind"))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"))
    problem_report_id: Mapped[int | None] = mapped_column(ForeignKey("problem_reports.id"), index=True)
    obligation_id: Mapped[int | None] = mapped_column(ForeignKey("reporting_obligations.id"), index=True)
    original_filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
