"""A range's employer events folded to their net effect (what SEVIS held at its start and holds at its end), and the
changes a SEVIS batch cannot carry, which an official enters in SEVIS by hand (rule 9)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from portal.models import Event, Student
from portal.models.enums import ChangeKind, EmployerReview
from portal.services.labels import event_label, label

LIFECYCLE_EVENTS = ("employer.added", "employer.restored", "employer.deleted")
US_PHONE = re.compile(r"[0-9]{10}")


def event_reference(event_id: int) -> str:
    """The reference code a person quotes for an event: the requestID its XML record carries."""
    return f"E{event_id}"


@dataclass(frozen=True)
class HandEntry:
    """A change the SEVIS batch schema cannot carry: the DSO enters it in SEVIS by hand."""

    event_id: int
    occurred_at: datetime
    sevis_id: str
    student: str
    what: str
    which: str
    detail: str

    @property
    def reference(self) -> str:
        return event_reference(self.event_id)


@dataclass
class EmployerNet:
    """One employer's events in a range, folded: present at the start and at the end, values then and now."""

    first_lifecycle: str | None = None
    last_lifecycle: str | None = None
    start: dict = field(default_factory=dict)
    final: dict = field(default_factory=dict)
    last_event: Event | None = None
    deletion: Event | None = None

    def apply(self, event: Event) -> None:
        before, after = event.before or {}, event.after or {}
        if event.event_type in ("employer.added", "employer.restored", "employer.deleted"):
            self.first_lifecycle = self.first_lifecycle or event.event_type
            self.last_lifecycle = event.event_type
        if event.event_type == "employer.deleted":
            self.deletion = event
        for key, value in before.items():
            self.start.setdefault(key, value)
        if event.event_type in ("employer.added", "employer.restored"):
            self.final = dict(after)
        elif event.event_type in ("employer.updated", "employer.resubmitted"):
            self.final.update(after)
        if event.event_type != "employer.reviewed":
            self.last_event = event

    @property
    def present_at_start(self) -> bool:
        # The first add, restore or delete in the range says what SEVIS held before it; none means it held it.
        return self.first_lifecycle in (None, "employer.deleted")

    @property
    def present_at_end(self) -> bool:
        if self.last_lifecycle is None:
            return self.present_at_start
        return self.last_lifecycle != "employer.deleted"


def _student_name(student: Student) -> str:
    return f"{student.given_name or ''} {student.surname or ''}".strip()


def hand_entries(student: Student, by_employer: dict[str, EmployerNet], events: list[Event]) -> list[HandEntry]:
    """What the batch cannot carry: deletions of employers SEVIS holds, STEM reviews, documents, the rest."""
    name = _student_name(student)
    entries = []
    for net in by_employer.values():
        if net.present_at_start and not net.present_at_end and net.deletion is not None:
            before = net.deletion.before or {}
            entries.append(
                HandEntry(
                    net.deletion.id,
                    net.deletion.occurred_at,
                    student.sevis_id,
                    name,
                    "Employer deleted (the student never worked there)",
                    before.get("name") or "",
                    "Remove this employer from the student's OPT employment in SEVIS "
                    f"(start date {before.get('start_date') or 'not given'}).",
                )
            )
    entries += [entry for entry in (_hand_entry(student, name, event) for event in events) if entry is not None]
    return sorted(entries, key=lambda entry: (entry.occurred_at, entry.event_id))


def _hand_entry(student: Student, name: str, event: Event) -> HandEntry | None:
    after, before = event.after or {}, event.before or {}
    made = partial(HandEntry, event.id, event.occurred_at, student.sevis_id, name)
    if event.event_type == "employer.reviewed":
        status = after.get("review_status")
        words = label(EmployerReview(status)) if status in {item.value for item in EmployerReview} else "reviewed"
        note = f": {after['note']}" if after.get("note") else ""
        return made(
            "STEM employer reviewed", after.get("name") or "", f"Record the school's review in SEVIS ({words}{note})."
        )
    if event.event_type == "address.mailing_removed":
        return made("Mailing address removed", "Mailing address", "Remove the student's mailing address in SEVIS.")
    if event.event_type == "contact.phone_changed" and not US_PHONE.fullmatch(str(after.get("phone") or "")):
        return made(
            "Phone number changed",
            "Phone number",
            f"Enter the student's new phone number {after.get('phone') or ''} in SEVIS.",
        )
    if event.change_kind is ChangeKind.DOCUMENT:
        return made(
            event_label(event.event_type),
            after.get("kind") or before.get("kind") or "Document",
            f"Read the uploaded file {after.get('filename') or ''} and update SEVIS from it.",
        )
    return None


def by_hand_kind(event_type: str, kind, after: dict) -> bool:
    """``by_hand_condition`` for one event: entered by hand whatever else happened in the range."""
    return (
        event_type in ("employer.reviewed", "address.mailing_removed")
        or kind == ChangeKind.DOCUMENT
        or (event_type == "contact.phone_changed" and str(after.get("phone") or "").startswith("+"))
    )


def by_hand_condition():
    """The changes that are entered by hand whatever else happened in the range (a deletion depends on the rest)."""
    return or_(
        Event.event_type.in_(("employer.reviewed", "address.mailing_removed")),
        Event.change_kind == ChangeKind.DOCUMENT,
        and_(Event.event_type == "contact.phone_changed", Event.after["phone"].as_string().like("+%")),
    )


def lifecycles(session: Session, conditions: list, subjects: set[str]) -> dict[str, EmployerNet]:
    """The adds, deletes and restores in the range of these employers, folded."""
    nets: dict[str, EmployerNet] = {}
    if subjects:
        lifecycle = (
            select(Event)
            .where(*conditions, Event.subject.in_(subjects), Event.event_type.in_(LIFECYCLE_EVENTS))
            .order_by(Event.occurred_at, Event.id)
        )
        for event in session.scalars(lifecycle):
            nets.setdefault(event.subject, EmployerNet()).apply(event)
    return nets
