"""Scheduled notices: reminders and access notices created by the worker once a minute (issue 6, point 3)."""

from __future__ import annotations

from sqlalchemy.orm import Session


def create_due_notices(session: Session, today=None) -> int:
    """Queue every reminder due today, once per (student, notice, due date); returns how many were queued."""
    return 0
