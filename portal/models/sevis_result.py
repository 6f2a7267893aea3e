"""The SEVIS round trip: which records and events each batch file carried, the transaction logs SEVIS returned for
them, and each record's result (rule 9)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow
from portal.models.enums import SevisResultState

if TYPE_CHECKING:
    from portal.models.student import Student

_EVENT_ID = BigInteger().with_variant(Integer(), "sqlite")


class SevisBatchRecord(Base):
    """One Student element of a downloaded batch file: its requestID, which file (part) and whose record it is."""

    __tablename__ = "sevis_batch_records"
    __table_args__ = (
        UniqueConstraint("download_id", "request_id"),
        Index("ix_sevis_batch_records_download_part", "download_id", "part"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    download_id: Mapped[int] = mapped_column(ForeignKey("change_list_downloads.id"))
    part: Mapped[int]
    request_id: Mapped[str] = mapped_column(String(20))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)

    student: Mapped[Student] = relationship()


class SevisBatchRecordEvent(Base):
    """An event a batch record carried: the changes a rejection sends back until they are resolved."""

    __tablename__ = "sevis_batch_record_events"

    record_id: Mapped[int] = mapped_column(ForeignKey("sevis_batch_records.id"), primary_key=True)
    event_id: Mapped[int] = mapped_column(_EVENT_ID, ForeignKey("events.id"), primary_key=True, index=True)


class SevisTransactionLog(Base):
    """A transaction log SEVIS returned for one batch file, uploaded by an official."""

    __tablename__ = "sevis_transaction_logs"
    __table_args__ = (Index("ix_sevis_transaction_logs_school_when", "school_id", "uploaded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    download_id: Mapped[int] = mapped_column(ForeignKey("change_list_downloads.id"))
    part: Mapped[int]
    batch_id: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_by_label: Mapped[str] = mapped_column(String(200), default="")
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)


class SevisRecordResult(Base):
    """SEVIS's answer for one batch record; a rejection stays open until a later log accepts its changes or an
    official marks it resolved."""

    __tablename__ = "sevis_record_results"
    __table_args__ = (Index("ix_sevis_record_results_open", "school_id", "accepted", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("sevis_transaction_logs.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("sevis_batch_records.id"), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    accepted: Mapped[bool]
    error_code: Mapped[str | None] = mapped_column(String(5))
    message: Mapped[str | None] = mapped_column(String(500))
    processed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Named by hand: the conventional name is longer than PostgreSQL's 63 characters.
    resolved_by_log_id: Mapped[int | None] = mapped_column(
        ForeignKey("sevis_transaction_logs.id", name="fk_sevis_record_results_resolved_by_log_id")
    )

    log: Mapped[SevisTransactionLog] = relationship(foreign_keys=[log_id])
    record: Mapped[SevisBatchRecord] = relationship()

    @property
    def state(self) -> SevisResultState:
        if self.accepted:
            return SevisResultState.ACCEPTED
        return SevisResultState.REJECTED if self.resolved_at is None else SevisResultState.RESOLVED
