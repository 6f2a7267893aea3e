"""Reading schools: one by its SEVIS school code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import School


def school_by_code(session: Session, code: str) -> School | None:
    """The school with this SEVIS school code (exactly as given), or None."""
    return session.scalar(select(School).where(School.code == code))
