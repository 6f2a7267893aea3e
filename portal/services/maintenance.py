"""Maintenance windows (rule 11): announced 48 hours before, 503 during (the feed catches up after them:
``feed.receiving.catch_up_after_maintenance``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import MaintenanceWindow, utcnow
from portal.services.actors import Actor
from portal.services.errors import Conflict, InvalidValue, NotFound, RuleBroken

ANNOUNCE_BEFORE = timedelta(hours=48)
MESSAGE_MAX = 500


def schedule_window(
    session: Session, *, starts_at: datetime, ends_at: datetime, message: str, actor: Actor, now: datetime | None = None
) -> MaintenanceWindow:
    """Schedule a window; refuses an end not after the start, an end in the past, and an overlap with another window."""
    now = now or utcnow()
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidValue("Give the start and end with a time zone.", field="starts_at")
    if ends_at <= starts_at:
        raise RuleBroken("The end must be after the start.", field="ends_at")
    if ends_at <= now:
        raise RuleBroken("That window has already ended; choose an end in the future.", field="ends_at")
    message = " ".join((message or "").split())
    if any(ord(char) < 32 for char in message):
        raise InvalidValue("The message may not contain control characters.", field="message")
    if len(message) > MESSAGE_MAX:
        raise InvalidValue(f"Keep the message under {MESSAGE_MAX} characters.", field="message")
    overlapping = session.scalar(
        select(MaintenanceWindow).where(
            MaintenanceWindow.cancelled_at.is_(None),
            MaintenanceWindow.starts_at < ends_at,
            MaintenanceWindow.ends_at > starts_at,
        )
    )
    if overlapping is not None:
        raise Conflict(
            f"It overlaps window #{overlapping.id} ({overlapping.starts_at:%Y-%m-%d %H:%M} UTC to "
            f"{overlapping.ends_at:%Y-%m-%d %H:%M} UTC)."
        )
    window = MaintenanceWindow(starts_at=starts_at, ends_at=ends_at, message=message, created_by_user_id=actor.user_id)
    session.add(window)
    session.flush()
    return window


def cancel_window(session: Session, window_id: int, *, actor: Actor, now: datetime | None = None) -> MaintenanceWindow:
    """Cancel a window that has not ended; refuses an unknown, ended or already-cancelled window."""
    now = now or utcnow()
    window = session.get(MaintenanceWindow, window_id)
    if window is None:
        raise NotFound("There is no such maintenance window.")
    if window.cancelled_at is not None:
        raise Conflict("This window was already cancelled.")
    if window.ends_at <= now:
        raise Conflict("This window has already ended.")
    window.cancelled_at = now
    session.flush()
    return window


def active_window(session: Session, now: datetime | None = None) -> MaintenanceWindow | None:
    """The window in force now, if any."""
    now = now or utcnow()
    return session.scalar(
        select(MaintenanceWindow)
        .where(
            MaintenanceWindow.cancelled_at.is_(None),
            MaintenanceWindow.starts_at <= now,
            MaintenanceWindow.ends_at > now,
        )
        .order_by(MaintenanceWindow.starts_at)
        .limit(1)
    )


def announced_window(session: Session, now: datetime | None = None) -> MaintenanceWindow | None:
    """The next window that starts within 48 hours (or is in force), for the banner."""
    now = now or utcnow()
    return session.scalar(
        select(MaintenanceWindow)
        .where(
            MaintenanceWindow.cancelled_at.is_(None),
            MaintenanceWindow.ends_at > now,
            MaintenanceWindow.starts_at <= now + ANNOUNCE_BEFORE,
        )
        .order_by(MaintenanceWindow.starts_at)
        .limit(1)
    )


def upcoming_windows(session: Session, now: datetime | None = None, limit: int = 50) -> list[MaintenanceWindow]:
    """Windows not yet ended, soonest first, then the most recent past ones (operator page)."""
    now = now or utcnow()
    return list(session.scalars(select(MaintenanceWindow).order_by(MaintenanceWindow.starts_at.desc()).limit(limit)))
