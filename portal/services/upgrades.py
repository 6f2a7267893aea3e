"""Completing an upgrade (operator); with a forced change, students' older passwords must be replaced (rule 12)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.models import Upgrade, utcnow
from portal.services.actors import Actor
from portal.services.errors import InvalidValue
from portal.services.events import record_event


def complete_upgrade(session: Session, *, actor: Actor, force_password_change: bool, note: str = "") -> Upgrade:
    """Record an upgrade as completed now; refuses a note longer than 300 characters."""
    note = (note or "").strip()
    if len(note) > 300 or any(ord(char) < 32 for char in note):
        raise InvalidValue("Keep the note to one line of at most 300 characters.", field="note")
    upgrade = Upgrade(completed_at=utcnow(), force_password_change=force_password_change, note=note,
                      completed_by_user_id=actor.user_id)  # fmt: skip
    session.add(upgrade)
    session.flush()
    record_event(session, actor, "upgrade.completed", subject=f"upgrade:{upgrade.id}",
                 after={"force_password_change": force_password_change, "note": note})  # fmt: skip
    return upgrade
