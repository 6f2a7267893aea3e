"""Receiving a feed batch: store its records, apply them now or queue them during maintenance (rule 11), catch the
queue up once no window is in force, and answer with each record's result."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import FeedBatch, InboundFeedItem, MaintenanceWindow, School, utcnow
from portal.models.enums import FeedItemStatus
from portal.services.actors import Actor
from portal.services.errors import DomainError
from portal.services.events import record_event
from portal.services.feed.parsing import FeedRefused, ParsedBatch
from portal.services.feed.record_handlers import APPLIERS
from portal.services.maintenance import active_window


def _item_result(item: InboundFeedItem) -> dict:
    result = {"index": item.record_index, "action": item.action, "sevis_id": item.sevis_id, "status": item.status.value}
    result.update(
        {key: value for key, value in (item.result or {}).items() if key in ("request_id", "field", "reason")}
    )
    return result


def batch_result(session: Session, batch: FeedBatch, *, duplicate: bool = False) -> dict:
    """Per-record results of a batch as they stand now (queued records show as queued)."""
    items = session.scalars(
        select(InboundFeedItem).where(InboundFeedItem.batch_id == batch.id).order_by(InboundFeedItem.record_index)
    ).all()
    records = [_item_result(item) for item in items]
    counts = {status.value: sum(1 for r in records if r["status"] == status.value) for status in FeedItemStatus}
    return {
        "batch_id": batch.batch_id,
        "format": batch.format,
        "received_at": batch.received_at.isoformat(),
        "duplicate": duplicate,
        "counts": counts,
        "records": records,
    }


def receive_batch(session: Session, school: School, parsed: ParsedBatch) -> tuple[FeedBatch, dict]:
    """Store a batch's records and apply them now (or queue them during maintenance); a known batch id is a no-op."""
    if parsed.org_id and parsed.org_id != school.code:
        known = session.scalar(select(School.id).where(School.code == parsed.org_id))
        raise FeedRefused(
            f"The batch is for school {parsed.org_id}, "
            + ("which is not the school of this token." if known else "which is not a school the portal knows.")
        )
    existing = session.scalar(
        select(FeedBatch).where(FeedBatch.school_id == school.id, FeedBatch.batch_id == parsed.batch_id)
    )
    if existing is not None:
        return existing, batch_result(session, existing, duplicate=True)
    batch = FeedBatch(school_id=school.id, batch_id=parsed.batch_id, format=parsed.format)
    session.add(batch)
    session.flush()
    for record in parsed.records:
        item = InboundFeedItem(
            batch_id=batch.id,
            record_index=record.index,
            sevis_id=(record.sevis_id or "")[:11] or None,
            action=record.action,
            payload=json.dumps({"request_id": record.request_id, "sevis_id": record.sevis_id, "data": record.data}),
            result={"request_id": record.request_id},
            status=FeedItemStatus.QUEUED,
        )
        if record.problem is not None:
            item.status, item.applied_at = FeedItemStatus.REJECTED, utcnow()
            item.result = {"request_id": record.request_id, "field": record.problem[0], "reason": record.problem[1]}
        session.add(item)
    session.flush()
    if active_window(session) is None:
        apply_queued_items(session)
    result = batch_result(session, batch)
    batch.result = result["counts"]
    session.flush()
    return batch, result


def apply_queued_items(session: Session) -> int:
    """Apply every queued feed item in arrival order, exactly once; returns how many were handled."""
    query = select(InboundFeedItem).where(InboundFeedItem.status == FeedItemStatus.QUEUED).order_by(InboundFeedItem.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # a second worker waits, then finds them applied
    items = list(session.scalars(query))
    school_ids = (
        dict(
            session.execute(
                select(FeedBatch.id, FeedBatch.school_id).where(FeedBatch.id.in_({item.batch_id for item in items}))
            ).all()
        )
        if items
        else {}
    )
    batch_ids = (
        dict(
            session.execute(
                select(FeedBatch.id, FeedBatch.batch_id).where(FeedBatch.id.in_({item.batch_id for item in items}))
            ).all()
        )
        if items
        else {}
    )
    for item in items:
        _apply_item(session, item, school_ids[item.batch_id], batch_ids[item.batch_id])
    return len(items)


def _apply_item(session: Session, item: InboundFeedItem, school_id: int, batch_label: str) -> None:
    payload = json.loads(item.payload)
    actor = Actor.data_feed(school_id)
    base = {"request_id": payload.get("request_id")}
    try:
        with session.begin_nested():
            student = APPLIERS[item.action](
                session, school_id, payload.get("sevis_id"), payload.get("data") or {}, actor
            )
            details = {
                "batch_id": batch_label,
                "record": item.record_index,
                "action": item.action,
                "request_id": payload.get("request_id"),
            }
            record_event(
                session, actor, "feed.data_received", student=student, subject=f"feed_item:{item.id}", after=details
            )
            record_event(
                session,
                actor,
                "feed.data_transmitted",
                student=student,
                subject=f"feed_item:{item.id}",
                after={**details, "result": "applied"},
            )
    except DomainError as error:
        item.status = FeedItemStatus.REJECTED
        item.result = {**base, "field": error.field, "reason": error.message}
    except (ValueError, TypeError, KeyError) as error:
        item.status = FeedItemStatus.REJECTED
        item.result = {**base, "field": None, "reason": f"The record could not be read: {error}"[:300]}
    else:
        item.status = FeedItemStatus.APPLIED
        item.result = base
    item.applied_at = utcnow()
    session.flush()


def catch_up_after_maintenance(session: Session, now: datetime | None = None) -> int:
    """Whenever no window is in force, apply the feed items queued meanwhile, in arrival order, exactly once, however
    the window ended (it ran its course, was cancelled or shortened); returns how many."""
    now = now or utcnow()
    if active_window(session, now) is not None:
        return 0
    # The queue itself says what is left to apply (its rows lock on PostgreSQL): a cancelled or shortened window
    # leaves items queued as surely as one that ran its course, and no later batch is needed to apply them.
    applied = apply_queued_items(session)
    query = select(MaintenanceWindow).where(
        MaintenanceWindow.cancelled_at.is_(None),
        MaintenanceWindow.ends_at <= now,
        MaintenanceWindow.caught_up_at.is_(None),
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for window in session.scalars(query):
        window.caught_up_at = now  # the operator page's "Ended, feed caught up"
    session.flush()
    return applied
