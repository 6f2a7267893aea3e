"""A SEVP-certified school: the unit that officials belong to and that sees its own students."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, utcnow


class School(Base):
    __tablename__ = "schools"
    __table_args__ = (CheckConstraint("length(code) BETWEEN 3 AND 15", name="code_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(15), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The international office students are told to contact (issue 13); the principal DSO keeps it, all optional.
    office_name: Mapped[str | None] = mapped_column(String(200))
    office_email: Mapped[str | None] = mapped_column(String(254))
    office_phone: Mapped[str | None] = mapped_column(String(20))
    office_hours: Mapped[str | None] = mapped_column(String(200))
    office_address: Mapped[str | None] = mapped_column(String(500))

    def __repr__(self) -> str:
        return f"<School {self.code}>"
