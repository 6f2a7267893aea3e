"""A student's History (DESIGN rule 8): every event across all program records, every email, and a CSV of both."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portal.models import Event, OutboxEmail, Student
from portal.models.enums import AddressKind
from portal.services.clock import eastern_date, long_date, long_moment
from portal.services.exports import csv_chunks
from portal.services.labels import event_title, field_label, label, template_title, value_words

# What a student can filter by: the first part of the event type ("employer.added" -> employer).
HISTORY_KINDS = {
    "employer": "Employers",
    "address": "Addresses",
    "contact": "Phone and email",
    "document": "Documents",
    "opt": "OPT",
    "program": "Program record",
    "account": "Account and sign-in",
    "email": "Emails",
    "problem": "Problem reports",
}

# A page a phone scrolls through comfortably; the rest is one "Older" link away.
EVENTS_PER_PAGE = 20


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass
class Day:
    """One US Eastern calendar day of a History page and its events, newest first."""

    day: date
    events: list

    @property
    def heading(self) -> str:
        return f"{self.day:%A}, {long_date(self.day)}"


def by_day(events) -> list[Day]:
    """Events (already newest first) grouped under the US Eastern day they happened on."""
    days: list[Day] = []
    for event in events:
        day = eastern_date(event.occurred_at)
        if not days or days[-1].day != day:
            days.append(Day(day=day, events=[]))
        days[-1].events.append(event)
    return days


def clean_kinds(kinds) -> list[str]:
    """Only known kinds survive (a tampered filter is ignored, never an error)."""
    return [kind for kind in (kinds or []) if kind in HISTORY_KINDS]


def _page_number(page) -> int:
    try:
        return max(1, min(int(page), 100_000))
    except (TypeError, ValueError):
        return 1


def student_events(session: Session, student: Student, *, kinds=None, page=1, per_page: int = EVENTS_PER_PAGE) -> Page:
    """The student's events, newest first, optionally only some kinds; two statements whatever the size."""
    kinds = clean_kinds(kinds)
    condition = Event.student_id == student.id
    if kinds:
        condition = condition & or_(*(Event.event_type.like(f"{kind}.%") for kind in kinds))
    return _newest_first(session, Event, condition, Event.occurred_at, page=page, per_page=per_page)


def student_emails(session: Session, student: Student, *, page=1, per_page: int = 10) -> Page:
    """Every email queued for the student, newest first, with its full text and reference code."""
    condition = OutboxEmail.student_id == student.id
    return _newest_first(session, OutboxEmail, condition, OutboxEmail.queued_at, page=page, per_page=per_page)


def _newest_first(session: Session, model, condition, when, *, page, per_page: int) -> Page:
    """One page of ``model`` rows matching ``condition``, newest ``when`` first: a count and a select.

    A page past the last shows the last one (the number in a link may be out of date, as on the students list).
    """
    total = session.scalar(select(func.count()).select_from(model).where(condition)) or 0
    page = min(_page_number(page), max(1, -(-total // per_page)))
    items = list(
        session.scalars(
            select(model)
            .where(condition)
            .order_by(when.desc(), model.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return Page(items=items, page=page, per_page=per_page, total=total)


# Bookkeeping a person never reads in a change: the row's id; the address's kind is already in the event's title.
_NOT_SHOWN = frozenset({"id"})


def describe_changes(before: dict | None, after: dict | None) -> list[tuple[str, str, str]]:
    """(field, before, after) in words for every field that changed (all of them for an addition or a removal)."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    rows = []
    for key in dict.fromkeys([*before.keys(), *after.keys()]):
        old, new = before.get(key), after.get(key)
        if key in _NOT_SHOWN or (old in (None, "") and new in (None, "")):
            continue
        if key == "kind" and {old, new} <= {None, *(kind.value for kind in AddressKind)}:
            continue  # older address events recorded their kind beside the fields
        if before and after and old == new:
            continue
        rows.append((field_label(key), value_words(old, key), value_words(new, key)))
    return rows


def actor_label(event, *, viewer_id: int | None) -> str:
    """Who made a change, in the words the student reads ("You" for the viewer's own changes)."""
    kind = event.actor_kind.value
    if kind == "student":
        return "You" if viewer_id is not None and event.actor_user_id == viewer_id else event.actor_label
    return {
        "school_official": f"Your school ({event.actor_label})",
        "support": "Support staff",
        "data_feed": "SEVIS data feed",
        "system": "The portal",
    }.get(kind, event.actor_label)


def changes_in_words(before: dict | None, after: dict | None) -> str:
    """``describe_changes`` as lines of text, one a field: "Field: old -> new", or "Field: value" for an addition
    or a removal (as History shows only the side there is)."""
    both = bool(before) and bool(after)
    return "\n".join(
        f"{field}: {old or '(none)'} -> {new or '(none)'}" if both else f"{field}: {old or new}"
        for field, old, new in describe_changes(before, after)
    )


def event_in_words(event) -> str:
    """What happened, as History titles it, with the "Reported late" tag the page shows beside it."""
    title = event_title(event)
    return f"{title} (reported late)" if event.reported_late else title


CSV_HEADER = [
    "Record",
    "When (US Eastern time)",
    "What happened",
    "By",
    "What changed",
    "Reference code",
    "Email subject",
    "Email text",
]


def history_csv(session: Session, student: Student, *, viewer_id: int | None = None, batch: int = 500) -> Iterator[str]:
    """The whole history as CSV (events, then emails) in the words History shows, streamed: two statements, rows
    read ``batch`` at a time, cells that look like formulas defused (``csv_chunks``)."""
    return csv_chunks(CSV_HEADER, _history_rows(session, student, viewer_id=viewer_id, batch=batch))


def _history_rows(session: Session, student: Student, *, viewer_id: int | None, batch: int) -> Iterator[list[str]]:
    events = session.execute(
        select(Event)
        .where(Event.student_id == student.id)
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .execution_options(yield_per=batch)
    ).scalars()
    for event in events:
        yield [
            "Event",
            long_moment(event.occurred_at),
            event_in_words(event),
            actor_label(event, viewer_id=viewer_id),
            changes_in_words(event.before, event.after),
            "",
            "",
            "",
        ]
    emails = session.execute(
        select(OutboxEmail)
        .where(OutboxEmail.student_id == student.id)
        .order_by(OutboxEmail.queued_at.desc(), OutboxEmail.id.desc())
        .execution_options(yield_per=batch)
    ).scalars()
    for email in emails:
        yield [
            "Email",
            long_moment(email.sent_at or email.queued_at),
            f"Email: {template_title(email.template)} ({label(email.status).lower()})",
            "The portal",
            "",
            email.reference_code,
            email.subject,
            email.body_text,
        ]
