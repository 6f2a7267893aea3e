"""Writing to the append-only event history (rule 8). Every change to a student's data calls this."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from portal.models import Event, Student
from portal.models.enums import ChangeKind, EmployerReview, EmploymentTime, EmploymentType
from portal.services.actors import Actor
from portal.services.labels import label

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


# Bookkeeping, and what another column of the change list says (the address's or the document's kind): no row.
NOT_A_FIELD = ("id", "kind", "sha256", "obligation_id", "reported_late")


def _value_labels() -> dict[str, dict[str, str]]:
    return {
        "employment_time": {item.value: label(item) for item in EmploymentTime},
        "employment_type": {item.value: label(item) for item in EmploymentType},
        "review_status": {item.value: label(item) for item in EmployerReview},
    }


VALUE_LABELS = _value_labels()


def value_text(key: str, value) -> str:
    """A changed field's value as the change list shows it: Yes or No, "Full time", '' for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        return VALUE_LABELS.get(key, {}).get(value, value)
    return str(value)


def _differs(old, new) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):  # as PostgreSQL's jsonb: true is not 1
        return type(old) is not type(new) or old != new
    return old != new


def field_changes(before: dict | None, after: dict | None) -> list[list[str]]:
    """Each changed field as [name, old, new], by name, the values as the change list shows them: one row each."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    keys = sorted(
        key for key in set(before) | set(after) if key not in NOT_A_FIELD and _differs(before.get(key), after.get(key))
    )
    return [[key, value_text(key, before.get(key)), value_text(key, after.get(key))] for key in keys]


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
        fields=field_changes(before, after) if change_kind is not None else None,
    )
    session.add(event)
    session.flush()
    return event
