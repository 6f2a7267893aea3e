"""Operator records: maintenance windows and completed upgrades."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, utcnow


class MaintenanceWindow(Base):
    """A planned outage: banner from 48 hours before, 503 during (rule 11)."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    message: Mapped[str] = mapped_column(String(500))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    caught_up_at: Mapped[datetime | None]


class Upgrade(Base):
    """A completed upgrade; with ``force_password_change`` students whose password predates it must change it (rule 12)."""

    __tablename__ = "upgrades"

    id: Mapped[int] = mapped_column(primary_key=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    force_password_change: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(String(300), default="")
    completed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
