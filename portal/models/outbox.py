"""Outgoing email, written in the same transaction as the change that causes it and delivered by the worker."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, enum_column, utcnow
from portal.models.enums import EmailStatus


class OutboxEmail(Base):
    """One email. ``dedupe_key`` makes scheduled notices idempotent; ``message_id`` makes resends recognisable."""

    __tablename__ = "outbox_emails"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_outbox_emails_deliverable", "status", "next_attempt_at"),
        Index("ix_outbox_emails_student_queued", "student_id", "queued_at"),
        Index("ix_outbox_emails_school_queued", "school_id", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template: Mapped[str] = mapped_column(String(64), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    # A one-time link is not stored in the readable body (officials read bodies); it is sealed
    # with the app's key here, inserted at delivery and erased once sent.
    sealed_secret: Mapped[str | None] = mapped_column(Text)
    reference_code: Mapped[str] = mapped_column(String(20), unique=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    due_on: Mapped[date | None]
    status: Mapped[EmailStatus] = mapped_column(enum_column(EmailStatus, "email_status"), default=EmailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    cancelled_reason: Mapped[str | None] = mapped_column(String(300))

    student = relationship("Student")
