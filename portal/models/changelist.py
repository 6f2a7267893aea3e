"""A DSO's change-list download, which also moves their "since my last download" mark (rule 9)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, JSONType, enum_column, utcnow
from portal.models.enums import ExportFormat


class ChangeListDownload(Base):
    __tablename__ = "change_list_downloads"
    __table_args__ = (
        CheckConstraint("covers_until >= covers_from", name="range_not_inverted"),
        CheckConstraint("row_count >= 0", name="row_count_not_negative"),
        Index("ix_change_list_downloads_user_when", "user_id", "downloaded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    format: Mapped[ExportFormat] = mapped_column(enum_column(ExportFormat, "export_format"))
    kinds: Mapped[str] = mapped_column(String(200), default="")
    covers_from: Mapped[datetime]
    covers_until: Mapped[datetime]
    since_last_download: Mapped[bool] = mapped_column(default=False)
    row_count: Mapped[int] = mapped_column(default=0)
    downloaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The newest event when it was downloaded (NULL before migration 0015): events are append-only, so the range's
    # events up to this id are the same list whenever it is fetched again.
    up_to_event_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    # "Since my last download" also sends again the changes SEVIS rejected that were still open then (migration
    # 0016): kept, so the list is the same whenever it is fetched again.
    resent_event_ids: Mapped[list | None] = mapped_column(JSONType)
