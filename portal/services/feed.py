"""The SEVIS data feed."""

from __future__ import annotations

from sqlalchemy.orm import Session


def apply_queued_items(session: Session) -> int:
    """Apply queued feed items in arrival order, exactly once."""
    return 0
