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

    def __repr__(self) -> str:
        return f"<School {self.code}>"
