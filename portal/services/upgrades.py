"""Upgrades and rule 12: the operator completes an upgrade; with a forced change, a student whose password predates it
must choose a new one before anything else, and the Sign In page says so for 30 days while some student still has to."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Upgrade, User, utcnow
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.errors import InvalidValue
from portal.services.events import record_event
from portal.services.site_state import site_state


def complete_upgrade(session: Session, *, actor: Actor, force_password_change: bool, note: str = "") -> Upgrade:
    """Record an upgrade as completed now; refuses a note longer than 300 characters."""
    note = (note or "").strip()
    if len(note) > 300 or any(ord(char) < 32 for char in note):
        raise InvalidValue("Keep the note to one line of at most 300 characters.", field="note")
    upgrade = Upgrade(
        completed_at=utcnow(),
        force_password_change=force_password_change,
        note=note,
        completed_by_user_id=actor.user_id,
    )
    session.add(upgrade)
    session.flush()
    record_event(
        session,
        actor,
        "upgrade.completed",
        subject=f"upgrade:{upgrade.id}",
        after={"force_password_change": force_password_change, "note": note},
    )
    return upgrade


def latest_forcing_upgrade(session: Session) -> Upgrade | None:
    return session.scalar(
        select(Upgrade).where(Upgrade.force_password_change.is_(True)).order_by(Upgrade.completed_at.desc()).limit(1)
    )


def must_change_password(session: Session, user: User, upgrade: Upgrade | None = ...) -> bool:
    """Rule 12: a student whose password predates the last forcing upgrade must set a new one first.

    ``upgrade`` is anything with a ``completed_at`` (the site state's copy); by default the database is asked.
    """
    if user.role is not Role.STUDENT or not user.password_hash:
        return False
    if upgrade is ...:
        upgrade = latest_forcing_upgrade(session)
    if upgrade is None:
        return False
    return user.password_changed_at is None or user.password_changed_at < upgrade.completed_at


_PENDING_CACHE: dict[tuple[int, datetime], tuple[datetime, bool]] = {}
_PENDING_CACHE_FOR = timedelta(seconds=60)


# Rule 12's Sign In notice is news for the weeks after an upgrade, when most students sign in. Later, the few who
# still have an old password are told by the change-password step itself ("The portal was upgraded ..."), and the
# banner would only puzzle everyone else: students who changed long ago, new students, officials.
FORCED_CHANGE_NOTICE_FOR = timedelta(days=30)


def forced_change_pending(session: Session, *, now: datetime | None = None) -> bool:
    """True for 30 days after the last forcing upgrade while some student still has to change a password (the Sign
    In notice); False afterwards, whoever is left.

    The answer is kept for a minute per process: the sign-in page is the busiest page, and a scan
    of every student on each view would not scale to a million accounts. The upgrade itself comes
    from the process's site state (seen within seconds of an upgrade on another server).
    """
    now = now or utcnow()
    upgrade = site_state(session, now).forcing_upgrade
    if upgrade is None or now - upgrade.completed_at >= FORCED_CHANGE_NOTICE_FOR:
        return False
    key = (upgrade.id, upgrade.completed_at)
    cached = _PENDING_CACHE.get(key)
    if cached is not None and now - cached[0] < _PENDING_CACHE_FOR:
        return cached[1]
    pending = _students_with_old_passwords(session, upgrade)
    _PENDING_CACHE.clear()
    _PENDING_CACHE[key] = (now, pending)
    return pending


def _students_with_old_passwords(session: Session, upgrade) -> bool:
    return (
        session.scalar(
            select(User.id)
            .where(
                User.role == Role.STUDENT,
                User.password_hash.is_not(None),
                User.password_changed_at < upgrade.completed_at,
            )
            .limit(1)
        )
        is not None
    )
