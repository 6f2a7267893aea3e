"""The event history officials and support read on a student's page: filtered by who acted, the kind of event and the
dates, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from portal.models import Event
from portal.models.enums import ActorKind
from portal.services.clock import start_of_day_utc
from portal.services.labels import LABELS

PER_PAGE = 50
ACTOR_LABELS = LABELS[ActorKind]


@dataclass
class HistoryFilter:
    actor_kind: ActorKind | None = None
    event_type: str = ""
    since: date | None = None
    until: date | None = None
    page: int = 1
    error: str | None = None


def parse_history_filter(args) -> HistoryFilter:
    """Read the panel's filters; a bad value becomes a message, never an exception."""
    result = HistoryFilter()
    raw_kind = args.get("actor_kind") or ""
    if raw_kind:
        try:
            result.actor_kind = ActorKind(raw_kind)
        except ValueError:
            result.error = "Choose who acted from the list."
    event_type = (args.get("event_type") or "").strip()
    if len(event_type) <= 64 and event_type.replace(".", "").replace("_", "").isalnum():
        result.event_type = event_type
    elif event_type:
        result.error = "Choose a kind of event from the list."
    for name in ("since", "until"):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                setattr(result, name, date.fromisoformat(raw))
            except ValueError:
                result.error = "Enter dates like 2026-03-31."
    if result.since and result.until and result.until < result.since:
        result.error = "The end date is before the start date: swap them."
    try:
        result.page = max(1, min(int(args.get("page") or 1), 100_000))
    except ValueError:
        result.page = 1
    return result


def student_history(session: Session, student_id: int, history_filter: HistoryFilter):
    """(events newest first for this page, total, event types the student has) in two statements."""
    conditions = []
    if history_filter.actor_kind:
        conditions.append(Event.actor_kind == history_filter.actor_kind)
    if history_filter.event_type:
        conditions.append(Event.event_type == history_filter.event_type)
    if history_filter.since:
        conditions.append(Event.occurred_at >= start_of_day_utc(history_filter.since))
    if history_filter.until:
        conditions.append(Event.occurred_at < start_of_day_utc(history_filter.until + timedelta(days=1)))
    # Every type the student has (the filter's choices) with how many of each the filter keeps: one pass.
    matching = func.count().filter(and_(*conditions)) if conditions else func.count()
    by_type = session.execute(
        select(Event.event_type, matching)
        .where(Event.student_id == student_id)
        .group_by(Event.event_type)
        .order_by(Event.event_type)
    ).all()
    # Plain rows: the panel only reads their columns.
    events = session.execute(
        select(
            Event.id,
            Event.occurred_at,
            Event.event_type,
            Event.actor_kind,
            Event.actor_label,
            Event.reported_late,
            Event.before,
            Event.after,
        )
        .where(Event.student_id == student_id, *conditions)
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(PER_PAGE)
        .offset((history_filter.page - 1) * PER_PAGE)
    ).all()
    return events, sum(count for _type, count in by_type), [event_type for event_type, _count in by_type]
