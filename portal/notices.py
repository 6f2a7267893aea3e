"""Site-wide notices shown above every page: announced maintenance, the forced password change."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.models import utcnow
from portal.services.site_state import site_state
from portal.web import format_eastern


def site_notices() -> list[dict]:
    """Each notice is {"level", "heading", "text"}; the layout renders them as USWDS alerts."""
    notices: list[dict] = []
    notices.extend(maintenance_notices())
    return notices


def maintenance_notices() -> list[dict]:
    """The banner for a window that starts within 48 hours (rule 11), with its times in US Eastern."""
    now = utcnow()
    try:
        window = site_state(db.session, now).announced_window(now)
    except SQLAlchemyError:  # an error page while the database is down still renders
        db.session.rollback()
        return []
    if window is None:
        return []
    text = f"{format_eastern(window.starts_at)} to {format_eastern(window.ends_at)}. The portal will not be available."
    if window.message:
        text = f"{text} {window.message}"
    return [{"level": "warning", "heading": "Scheduled maintenance", "text": text}]
