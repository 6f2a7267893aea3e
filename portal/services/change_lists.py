"""Change lists: what students changed in the portal, for a date range or since the official's last download
(rule 9): the range a list covers, the officials' download marks, and the rows, one per changed field, streamed.

The files are written in ``change_list_files`` (CSV, XLSX) and ``sevis.batch_xml`` (SEVIS batch XML)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import DateTime, and_, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from portal.models import ChangeListDownload, Event, School, Student, utcnow
from portal.models.enums import ActorKind, ChangeKind, ExportFormat
from portal.services.actors import Actor
from portal.services.clock import EASTERN, start_of_day_utc
from portal.services.errors import InvalidValue, NotAllowed, RuleBroken
from portal.services.events import field_changes, record_event
from portal.services.exports import ExcelDateTime
from portal.services.labels import event_label, field_label
from portal.services.sevis.net_effect import (
    HandEntry,
    by_hand_condition,
    by_hand_kind,
    event_reference,
    hand_entries,
    lifecycles,
)
from portal.services.sevis.results import open_rejected_event_ids

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
ROW_BATCH = 5000  # plain rows per fetch from the server-side cursor (CSV/XLSX lists)


@dataclass(frozen=True)
class ChangeRange:
    """Which changes a list covers: [covers_from, covers_until) in UTC, and which kinds."""

    covers_from: datetime
    covers_until: datetime
    kinds: tuple[ChangeKind, ...]
    since_last_download: bool = False
    up_to_event_id: int | None = None  # the newest event when it was downloaded: a download again is the same list
    # Changes SEVIS rejected that were still open when a since-last list was made: they come back in it, whenever.
    resend: tuple[int, ...] = ()


def parse_kinds(raw: list[str]) -> tuple[ChangeKind, ...]:
    """The chosen kinds (all when none is chosen); refuses an unknown kind."""
    kinds = []
    for value in raw:
        try:
            kinds.append(ChangeKind(value))
        except ValueError:
            raise InvalidValue("Choose kinds of change from the list.", field="kinds") from None
    return tuple(sorted(set(kinds), key=list(ChangeKind).index)) or tuple(ChangeKind)


def last_download(session: Session, user_id: int) -> ChangeListDownload | None:
    """The official's most recent download, of any range."""
    return session.scalar(
        select(ChangeListDownload)
        .where(ChangeListDownload.user_id == user_id)
        .order_by(ChangeListDownload.downloaded_at.desc(), ChangeListDownload.id.desc())
        .limit(1)
    )


def recent_downloads(session: Session, user_id: int, limit: int = 10) -> list[ChangeListDownload]:
    """The official's latest downloads, newest first, each of which can be fetched again."""
    return list(
        session.scalars(
            select(ChangeListDownload)
            .where(ChangeListDownload.user_id == user_id)
            .order_by(ChangeListDownload.downloaded_at.desc(), ChangeListDownload.id.desc())
            .limit(limit)
        )
    )


def since_mark(session: Session, user_id: int) -> datetime | None:
    """Where "since my last download" starts: the furthest end of the official's since-last downloads, so a look at
    a past range never moves it and it never moves backwards (rule 9)."""
    return session.scalar(
        select(func.max(ChangeListDownload.covers_until)).where(
            ChangeListDownload.user_id == user_id, ChangeListDownload.since_last_download
        )
    )


def range_of(download: ChangeListDownload) -> ChangeRange:
    """The range a recorded download covered, to fetch it again as it was."""
    return ChangeRange(
        download.covers_from,
        download.covers_until,
        parse_kinds(download.kinds.split(",") if download.kinds else []),
        download.since_last_download,
        download.up_to_event_id,
        tuple(download.resent_event_ids or ()),
    )


def file_name(school: School, change_range: ChangeRange, *, what: str, extension: str) -> str:
    """A name that says the school and the range in Eastern days: northfield-change-list-2026-10-01-to-2026-10-31.xlsx."""
    slug = re.sub(r"[^a-z0-9]+", "-", (school.name or school.code or "school").lower()).strip("-")[:60] or "school"
    first = change_range.covers_from.astimezone(EASTERN).date()
    last = (change_range.covers_until - timedelta(microseconds=1)).astimezone(EASTERN).date()
    return f"{slug}-{what}-{first.isoformat()}-to-{max(first, last).isoformat()}.{extension}"


def resolve_range(
    session: Session,
    actor: Actor,
    *,
    start: date | None,
    end: date | None,
    since_last: bool,
    kinds: tuple[ChangeKind, ...],
    now: datetime | None = None,
) -> ChangeRange:
    """The range a download covers: since this official's last download (or the beginning), or whole Eastern days.

    Refuses an inverted range, a missing date and an end in the future.
    """
    now = now or utcnow()
    newest = session.scalar(select(func.max(Event.id)))  # the list's events, whenever it is fetched again
    if since_last:
        mark = since_mark(session, actor.user_id)
        start_at = mark if mark is not None else EPOCH
        resend = tuple(open_rejected_event_ids(session, actor.school_id)) if actor.school_id is not None else ()
        return ChangeRange(
            start_at, max(now, start_at), kinds, since_last_download=True, up_to_event_id=newest, resend=resend
        )
    if start is None or end is None:
        raise RuleBroken("Enter both dates, or choose 'since my last download'.", field="start")
    if end < start:
        raise RuleBroken(
            f"The end date ({end:%m/%d/%Y}) is before the start date ({start:%m/%d/%Y}). Swap them and try again.",
            field="end",
        )
    return ChangeRange(
        start_of_day_utc(start),
        min(start_of_day_utc(end + timedelta(days=1)), max(now, start_of_day_utc(start))),
        kinds,
        up_to_event_id=newest,
    )


def range_conditions(school_id: int, change_range: ChangeRange) -> list:
    """The range's changes made in the portal: what the SEVIS data feed brought is SEVIS's own, never sent back."""
    in_range = and_(Event.occurred_at >= change_range.covers_from, Event.occurred_at < change_range.covers_until)
    if change_range.resend:  # rejected by SEVIS and not resolved yet: sent again (rule 9)
        in_range = or_(in_range, Event.id.in_(change_range.resend))
    conditions = [
        Event.school_id == school_id,
        Event.change_kind.in_(change_range.kinds),
        in_range,
        Event.actor_kind != ActorKind.DATA_FEED,
    ]
    if change_range.up_to_event_id is not None:
        conditions.append(Event.id <= change_range.up_to_event_id)
    return conditions


def count_changes(session: Session, school_id: int, change_range: ChangeRange) -> int:
    return session.scalar(select(func.count()).select_from(Event).where(*range_conditions(school_id, change_range)))


def changes_by_kind(session: Session, school_id: int, change_range: ChangeRange) -> list[tuple[ChangeKind, int, int]]:
    """(kind, students, changes) for each kind of change in the range that has any, in ChangeKind order."""
    rows = session.execute(
        select(Event.change_kind, func.count(func.distinct(Event.student_id)), func.count())
        .where(*range_conditions(school_id, change_range))
        .group_by(Event.change_kind)
        .order_by(Event.change_kind)
    ).all()
    return sorted(
        ((ChangeKind(kind), students, changes) for kind, students, changes in rows),
        key=lambda row: list(ChangeKind).index(row[0]),
    )


def count_students(session: Session, school_id: int, change_range: ChangeRange) -> int:
    """How many students have a change in the range (of any of its kinds)."""
    return session.scalar(
        select(func.count(func.distinct(Event.student_id))).where(*range_conditions(school_id, change_range))
    )


def record_download(
    session: Session, actor: Actor, *, fmt: ExportFormat, change_range: ChangeRange, row_count: int
) -> ChangeListDownload:
    """Keep the download (it moves 'since my last download') and write its event; refuses anyone but an official."""
    if not actor.is_school_official:
        raise NotAllowed("Only school officials download change lists.")
    download = ChangeListDownload(
        user_id=actor.user_id,
        school_id=actor.school_id,
        format=fmt,
        kinds=",".join(kind.value for kind in change_range.kinds),
        covers_from=change_range.covers_from,
        covers_until=change_range.covers_until,
        since_last_download=change_range.since_last_download,
        row_count=row_count,
        up_to_event_id=change_range.up_to_event_id,
        resent_event_ids=list(change_range.resend) or None,
    )
    session.add(download)
    session.flush()
    record_event(
        session,
        actor,
        "change_list.downloaded",
        school_id=actor.school_id,
        subject=f"change_list:{download.id}",
        after={
            "format": fmt,
            "kinds": download.kinds,
            "from": change_range.covers_from,
            "until": change_range.covers_until,
            "since_last_download": change_range.since_last_download,
            "rows": row_count,
            "sent_again": len(change_range.resend),
        },
    )
    return download


def change_rows(session: Session, school_id: int, change_range: ChangeRange, *, excel: bool = False) -> Iterator[list]:
    """The rows of the CSV and XLSX lists, one per changed field, streamed from a server-side cursor; ``excel``
    gives the time as a real date (``ExcelDateTime``) rather than text."""
    # occurred_at without the UTC-aware type's per-row conversion: only its minute's label is needed, made below.
    occurred_at = type_coerce(Event.occurred_at, DateTime())
    statement = (
        select(
            Event.id,
            occurred_at,
            Student.sevis_id,
            Student.given_name,
            Student.surname,
            Event.event_type,
            Event.change_kind,
            Event.actor_label,
            Event.before,
            Event.after,
            Event.reported_late,
            Event.fields,
        )
        .join(Student, Student.id == Event.student_id)
        .where(*range_conditions(school_id, change_range))
        .order_by(Event.occurred_at, Event.id)
        .execution_options(yield_per=ROW_BATCH)
    )
    deletions = deletions_by_hand(session, school_id, change_range)
    times: dict = {}  # the Eastern time per minute: one timezone conversion per distinct minute, not per row
    for partition in session.execute(statement).partitions():
        for (
            event_id,
            occurred_at,
            sevis_id,
            given_name,
            surname,
            event_type,
            kind,
            actor,
            before,
            after,
            late,
            fields,
        ) in partition:
            minute = occurred_at.replace(second=0, microsecond=0)
            when = times.get(minute)
            if when is None:
                if len(times) > 10_000:
                    times.clear()
                aware = occurred_at if occurred_at.tzinfo else occurred_at.replace(tzinfo=UTC)  # SQLite: naive UTC
                local = aware.astimezone(EASTERN).replace(second=0, microsecond=0)
                when = times[minute] = ExcelDateTime.of(local) if excel else local.strftime("%Y-%m-%d %H:%M %Z")
            before = before if isinstance(before, dict) else {}
            after = after if isinstance(after, dict) else {}
            hand = "yes" if event_id in deletions or by_hand_kind(event_type, kind, after) else None
            student = f"{given_name or ''} {surname or ''}"
            which = _which(event_type, kind, before, after)
            for key, old, new in field_changes(before, after) if fields is None else fields:
                yield change_row(
                    sevis_id,
                    student,
                    event_type,
                    which,
                    key,
                    old,
                    new,
                    when,
                    actor,
                    event_reference(event_id),
                    hand,
                    late,
                )


def _which(event_type: str, kind, before: dict, after: dict) -> str:
    """Which one changed: the employer's name, which address, which document."""
    if kind == ChangeKind.EMPLOYER:
        name = after.get("name")
        return (name if name is not None else before.get("name")) or ""
    if kind == ChangeKind.ADDRESS:
        return "Physical address" if event_type == "address.physical_changed" else "Mailing address"
    if kind == ChangeKind.DOCUMENT:
        name = after.get("kind")
        return (name if name is not None else before.get("kind")) or ""
    return ""


def change_row(sevis_id, student, event_type, which, key, old, new, when, actor, reference, hand, late) -> list:
    """One row of the list, its cells as the CSV and XLSX files hold them."""
    return [
        sevis_id,
        student,
        event_label(event_type),
        which,
        field_label(key),
        old,
        new,
        when,
        actor,
        reference,
        hand,
        "yes" if late else None,
    ]


def by_hand(
    session: Session, school_id: int, change_range: ChangeRange, *, limit: int | None = None
) -> list[HandEntry]:
    """Everything in the range to enter in SEVIS by hand, oldest first (the first ``limit``): the same entries as
    ``sevis.batch_xml.net_changes`` finds, read without folding every change of the range."""
    conditions = range_conditions(school_id, change_range)
    statement = (
        select(Event)
        .where(
            *conditions, Event.student_id.is_not(None), or_(by_hand_condition(), Event.event_type == "employer.deleted")
        )
        .order_by(Event.occurred_at, Event.id)
    )
    events = list(session.scalars(statement))
    nets = lifecycles(
        session,
        conditions,
        {event.subject for event in events if event.event_type == "employer.deleted" and event.subject},
    )
    by_student: dict[int, list[Event]] = {}
    for event in events:
        by_student.setdefault(event.student_id, []).append(event)
    entries: list[HandEntry] = []
    for student_id, own in by_student.items():
        mine = {event.subject: nets[event.subject] for event in own if event.subject in nets}
        entries += hand_entries(session.get(Student, student_id), mine, own)
    entries.sort(key=lambda entry: (entry.occurred_at, entry.event_id))
    return entries[:limit] if limit is not None else entries


def deletions_by_hand(session: Session, school_id: int, change_range: ChangeRange) -> set[int]:
    """The ids of the range's deletions of employers SEVIS holds (the other by-hand kinds go by their type)."""
    conditions = range_conditions(school_id, change_range)
    subjects = set(session.scalars(select(Event.subject).where(*conditions, Event.event_type == "employer.deleted")))
    nets = lifecycles(session, conditions, {subject for subject in subjects if subject})
    return {
        net.deletion.id
        for net in nets.values()
        if net.present_at_start and not net.present_at_end and net.deletion is not None
    }
