"""What the operator's pages read: the email queue's health, the maintenance windows and the recent upgrades."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import MaintenanceWindow, OutboxEmail, Upgrade
from portal.models.enums import EmailStatus

FAILED_SHOWN = 20


def email_queue(session: Session) -> tuple[dict, list[OutboxEmail]]:
    """How many emails are in each status, and the newest failed ones (two statements)."""
    counts = dict(session.execute(select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)).all())
    failed = session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.status == EmailStatus.FAILED)
        .order_by(OutboxEmail.queued_at.desc())
        .limit(FAILED_SHOWN)
    ).all()
    return counts, list(failed)


def maintenance_windows(session: Session, *, page: int, per_page: int) -> tuple[list[MaintenanceWindow], bool]:
    """A page of maintenance windows, latest start first, and whether another page follows (one statement)."""
    windows = session.scalars(
        select(MaintenanceWindow)
        .order_by(MaintenanceWindow.starts_at.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    return list(windows[:per_page]), len(windows) > per_page


def recent_upgrades(session: Session, limit: int) -> list[Upgrade]:
    """The latest ``limit`` completed upgrades, newest first."""
    return list(session.scalars(select(Upgrade).order_by(Upgrade.completed_at.desc()).limit(limit)))
