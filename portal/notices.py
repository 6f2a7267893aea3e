"""Site-wide notices shown above every page: announced maintenance, the forced password change."""

from __future__ import annotations


def site_notices() -> list[dict]:
    """Each notice is {"level", "heading", "text"}; the layout renders them as USWDS alerts."""
    notices: list[dict] = []
    notices.extend(maintenance_notices())
    return notices


def maintenance_notices() -> list[dict]:
    """The banner for a window that starts within 48 hours (rule 11), with its times in US Eastern."""
    from sqlalchemy.exc import SQLAlchemyError

    from portal.extensions import db
    from portal.services.maintenance import announced_window
    from portal.web import format_eastern

    try:
        window = announced_window(db.session)
    except SQLAlchemyError:  # an error page while the database is down still renders
        db.session.rollback()
        return []
    if window is None:
        return []
    text = f"{format_eastern(window.starts_at)} to {format_eastern(window.ends_at)}. The portal will not be available."
    if window.message:
        text = f"{text} {window.message}"
    return [{"level": "warning", "heading": "Scheduled maintenance", "text": text}]
