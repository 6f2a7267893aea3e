"""Writing to the append-only event history (rule 8). Every change to a student's data calls this."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from portal.models import Event, Student
from portal.models.enums import ChangeKind
from portal.services.actors import Actor

# Never recorded, whatever a caller passes: secrets do not belong in the history.
SECRET_KEYS = frozenset(
    {"password", "password_hash", "token", "token_hash", "code", "mfa_secret", "mfa_secret_encrypted", "secret"}
)


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items() if key not in SECRET_KEYS}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def changes_text(before: dict | None, after: dict | None) -> str:
    """'field: old -> new' for each field that differs (but the id), by field name, for a spreadsheet cell."""
    before, after = before or {}, after or {}
    parts = []
    for key in sorted(set(before) | set(after)):
        if key == "id":
            continue
        old, new = before.get(key), after.get(key)
        if old != new:
            parts.append(f"{key}: {'' if old is None else old} -> {'' if new is None else new}")
    return "; ".join(parts)


def record_event(
    session: Session,
    actor: Actor,
    event_type: str,
    *,
    student: Student | None = None,
    user=None,
    school_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    change_kind: ChangeKind | None = None,
    subject: str | None = None,
    reported_late: bool = False,
) -> Event:
    """Append one event in the caller's transaction; refuses nothing, records no secrets."""
    if school_id is None:
        school_id = student.school_id if student is not None else actor.school_id
    before = _json_ready(before) if before is not None else None
    after = _json_ready(after) if after is not None else None
    event = Event(
        student_id=student.id if student is not None else None,
        school_id=school_id,
        user_id=user.id if user is not None else None,
        actor_user_id=actor.user_id,
        actor_kind=actor.kind,
        actor_label=actor.label[:200],
        event_type=event_type,
        change_kind=change_kind,
        subject=subject,
        before=before,
        after=after,
        reported_late=reported_late,
        changes=changes_text(before, after) if change_kind is not None else None,
    )
    session.add(event)
    session.flush()
    return event
