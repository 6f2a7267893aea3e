"""Change lists: what students changed in the portal, for a date range or since the official's last
download, as CSV, XLSX or SEVIS batch XML (rule 9). Rows stream; memory stays flat."""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import DateTime, and_, column, func, or_, select, text, type_coerce
from sqlalchemy.orm import Session, selectinload

from portal.models import ChangeListDownload, Employer, Event, School, Student, utcnow
from portal.models.enums import ActorKind, ChangeKind, EmployerReview, ExportFormat
from portal.services.actors import Actor
from portal.services.clock import EASTERN, start_of_day_utc
from portal.services.errors import InvalidValue, NotAllowed, RuleBroken
from portal.services.events import NOT_A_FIELD, field_changes, record_event, value_text
from portal.services.exports import ExcelDateTime, SheetLayout, csv_chunks, xlsx_chunks
from portal.services.exports_postgresql import csv_copy_chunks, guarded_sql, text_cell_sql, xlsx_lines_chunks
from portal.services.labels import EVENT_LABELS, FIELD_LABELS, event_label, field_label, label

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
BATCH = 500
ROW_BATCH = 5000  # plain rows per fetch from the server-side cursor (CSV/XLSX lists)
MAX_RECORDS_PER_FILE = 250  # SEVIS accepts at most 250 students per batch file
CHUNK = 64 * 1024

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
    return session.scalar(select(ChangeListDownload).where(ChangeListDownload.user_id == user_id)
                          .order_by(ChangeListDownload.downloaded_at.desc(), ChangeListDownload.id.desc()).limit(1))  # fmt: skip


def recent_downloads(session: Session, user_id: int, limit: int = 10) -> list[ChangeListDownload]:
    """The official's latest downloads, newest first, each of which can be fetched again."""
    return list(session.scalars(select(ChangeListDownload).where(ChangeListDownload.user_id == user_id)
                                .order_by(ChangeListDownload.downloaded_at.desc(), ChangeListDownload.id.desc())
                                .limit(limit)))  # fmt: skip


def since_mark(session: Session, user_id: int) -> datetime | None:
    """Where "since my last download" starts: the furthest end of the official's since-last downloads, so a look at
    a past range never moves it and it never moves backwards (rule 9)."""
    return session.scalar(select(func.max(ChangeListDownload.covers_until))
                          .where(ChangeListDownload.user_id == user_id, ChangeListDownload.since_last_download))  # fmt: skip


def range_of(download: ChangeListDownload) -> ChangeRange:
    """The range a recorded download covered, to fetch it again as it was."""
    return ChangeRange(download.covers_from, download.covers_until,
                       parse_kinds(download.kinds.split(",") if download.kinds else []), download.since_last_download,
                       download.up_to_event_id, tuple(download.resent_event_ids or ()))  # fmt: skip


def file_name(school: School, change_range: ChangeRange, *, what: str, extension: str) -> str:
    """A name that says the school and the range in Eastern days: northfield-change-list-2026-10-01-to-2026-10-31.xlsx."""
    slug = re.sub(r"[^a-z0-9]+", "-", (school.name or school.code or "school").lower()).strip("-")[:60] or "school"
    first = change_range.covers_from.astimezone(EASTERN).date()
    last = (change_range.covers_until - timedelta(microseconds=1)).astimezone(EASTERN).date()
    return f"{slug}-{what}-{first.isoformat()}-to-{max(first, last).isoformat()}.{extension}"


def resolve_range(session: Session, actor: Actor, *, start: date | None, end: date | None, since_last: bool,
                  kinds: tuple[ChangeKind, ...], now: datetime | None = None) -> ChangeRange:  # fmt: skip
    """The range a download covers: since this official's last download (or the beginning), or whole Eastern days.

    Refuses an inverted range, a missing date and an end in the future.
    """
    now = now or utcnow()
    newest = session.scalar(select(func.max(Event.id)))  # the list's events, whenever it is fetched again
    if since_last:
        from portal.services.sevis_results import open_rejected_event_ids

        mark = since_mark(session, actor.user_id)
        start_at = mark if mark is not None else EPOCH
        resend = tuple(open_rejected_event_ids(session, actor.school_id)) if actor.school_id is not None else ()
        return ChangeRange(start_at, max(now, start_at), kinds, since_last_download=True, up_to_event_id=newest,
                           resend=resend)  # fmt: skip
    if start is None or end is None:
        raise RuleBroken("Enter both dates, or choose 'since my last download'.", field="start")
    if end < start:
        raise RuleBroken(f"The end date ({end:%m/%d/%Y}) is before the start date ({start:%m/%d/%Y}). "
                         "Swap them and try again.", field="end")  # fmt: skip
    return ChangeRange(start_of_day_utc(start), min(start_of_day_utc(end + timedelta(days=1)), max(now, start_of_day_utc(start))), kinds,
                       up_to_event_id=newest)


def _conditions(school_id: int, change_range: ChangeRange) -> list:
    """The range's changes made in the portal: what the SEVIS data feed brought is SEVIS's own, never sent back."""
    in_range = and_(Event.occurred_at >= change_range.covers_from, Event.occurred_at < change_range.covers_until)
    if change_range.resend:  # rejected by SEVIS and not resolved yet: sent again (rule 9)
        in_range = or_(in_range, Event.id.in_(change_range.resend))
    conditions = [Event.school_id == school_id, Event.change_kind.in_(change_range.kinds), in_range,
                  Event.actor_kind != ActorKind.DATA_FEED]  # fmt: skip
    if change_range.up_to_event_id is not None:
        conditions.append(Event.id <= change_range.up_to_event_id)
    return conditions


def count_changes(session: Session, school_id: int, change_range: ChangeRange) -> int:
    return session.scalar(select(func.count()).select_from(Event).where(*_conditions(school_id, change_range)))


def changes_by_kind(session: Session, school_id: int, change_range: ChangeRange) -> list[tuple[ChangeKind, int, int]]:
    """(kind, students, changes) for each kind of change in the range that has any, in ChangeKind order."""
    rows = session.execute(select(Event.change_kind, func.count(func.distinct(Event.student_id)), func.count())
                           .where(*_conditions(school_id, change_range)).group_by(Event.change_kind)
                           .order_by(Event.change_kind)).all()  # fmt: skip
    return sorted(((ChangeKind(kind), students, changes) for kind, students, changes in rows),
                  key=lambda row: list(ChangeKind).index(row[0]))  # fmt: skip


def count_students(session: Session, school_id: int, change_range: ChangeRange) -> int:
    """How many students have a change in the range (of any of its kinds)."""
    return session.scalar(select(func.count(func.distinct(Event.student_id))).where(*_conditions(school_id, change_range)))


def record_download(session: Session, actor: Actor, *, fmt: ExportFormat, change_range: ChangeRange,
                    row_count: int) -> ChangeListDownload:  # fmt: skip
    """Keep the download (it moves 'since my last download') and write its event; refuses anyone but an official."""
    if not actor.is_school_official:
        raise NotAllowed("Only school officials download change lists.")
    download = ChangeListDownload(
        user_id=actor.user_id, school_id=actor.school_id, format=fmt,
        kinds=",".join(kind.value for kind in change_range.kinds), covers_from=change_range.covers_from,
        covers_until=change_range.covers_until, since_last_download=change_range.since_last_download,
        row_count=row_count, up_to_event_id=change_range.up_to_event_id,
        resent_event_ids=list(change_range.resend) or None,
    )  # fmt: skip
    session.add(download)
    session.flush()
    record_event(session, actor, "change_list.downloaded", school_id=actor.school_id, subject=f"change_list:{download.id}",
                 after={"format": fmt, "kinds": download.kinds, "from": change_range.covers_from,
                        "until": change_range.covers_until, "since_last_download": change_range.since_last_download,
                        "rows": row_count, "sent_again": len(change_range.resend)})  # fmt: skip
    return download


def change_rows(session: Session, school_id: int, change_range: ChangeRange, *, excel: bool = False) -> Iterator[list]:
    """The rows of the CSV and XLSX lists, one per changed field, streamed from a server-side cursor; ``excel``
    gives the time as a real date (``ExcelDateTime``) rather than text."""
    # occurred_at without the UTC-aware type's per-row conversion: only its minute's label is needed, made below.
    occurred_at = type_coerce(Event.occurred_at, DateTime())
    statement = (select(Event.id, occurred_at, Student.sevis_id, Student.given_name, Student.surname, Event.event_type,
                        Event.change_kind, Event.actor_label, Event.before, Event.after, Event.reported_late,
                        Event.fields)
                 .join(Student, Student.id == Event.student_id).where(*_conditions(school_id, change_range))
                 .order_by(Event.occurred_at, Event.id).execution_options(yield_per=ROW_BATCH))  # fmt: skip
    deletions = deletions_by_hand(session, school_id, change_range)
    times: dict = {}  # the Eastern time per minute: one timezone conversion per distinct minute, not per row
    for partition in session.execute(statement).partitions():
        for event_id, occurred_at, sevis_id, given_name, surname, event_type, kind, actor, before, after, late, fields in (
                partition):  # fmt: skip
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
            hand = "yes" if event_id in deletions or _by_hand_kind(event_type, kind, after) else None
            student = f"{given_name or ''} {surname or ''}"
            which = _which(event_type, kind, before, after)
            for key, old, new in field_changes(before, after) if fields is None else fields:
                yield _row(sevis_id, student, event_type, which, key, old, new, when, actor, event_reference(event_id),
                           hand, late)  # fmt: skip


HEADER = ["SEVIS ID", "Student", "What changed", "Which", "Field", "Old value", "New value", "When (US Eastern)", "By",
          "Reference", "Enter in SEVIS by hand", "Reported late"]  # fmt: skip
WIDTHS = (13, 24, 30, 30, 28, 32, 32, 17, 24, 12, 12, 10)


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


def _by_hand_kind(event_type: str, kind, after: dict) -> bool:
    """``_by_hand_condition`` for one event: entered by hand whatever else happened in the range."""
    return (event_type in ("employer.reviewed", "address.mailing_removed") or kind == ChangeKind.DOCUMENT
            or (event_type == "contact.phone_changed" and str(after.get("phone") or "").startswith("+")))  # fmt: skip


def _row(sevis_id, student, event_type, which, key, old, new, when, actor, reference, hand, late) -> list:
    return [sevis_id, student, event_label(event_type), which, field_label(key), old, new, when, actor, reference, hand,
            "yes" if late else None]  # fmt: skip


def _fallback_csv(payload: list) -> list:
    """The row PostgreSQL leaves to Python: a change recorded before its fields were (the values as JSON)."""
    key = payload[4]
    payload[5], payload[6] = value_text(key, payload[5]), value_text(key, payload[6])
    return _row(*payload)


def _fallback_xlsx(payload: list) -> list:
    row = _fallback_csv(payload)
    row[7] = ExcelDateTime(row[7])
    return row


def change_list_csv(session: Session, school_id: int, change_range: ChangeRange) -> Iterator[bytes]:
    """The change list as CSV chunks: formatted by PostgreSQL and streamed with COPY there, else row by row."""
    if session.get_bind().dialect.name != "postgresql":
        return (chunk.encode() for chunk in csv_chunks(HEADER, change_rows(session, school_id, change_range)))
    cells = _change_cells(session, school_id, change_range)
    return csv_copy_chunks(session, HEADER, cells, fallback=_fallback_csv, **_LAYOUT)


def change_list_xlsx(session: Session, school_id: int, change_range: ChangeRange) -> Iterator[bytes]:
    """The change list as XLSX chunks, as ``change_list_csv``: real dates, column widths, a frozen header, a filter."""
    layout = SheetLayout(widths=WIDTHS, row_numbers=False)
    if session.get_bind().dialect.name != "postgresql":
        return xlsx_chunks(HEADER, change_rows(session, school_id, change_range, excel=True), sheet="Changes",
                           layout=layout)  # fmt: skip
    return xlsx_lines_chunks(session, HEADER, _change_lines(session, school_id, change_range), sheet="Changes",
                             layout=layout, fallback=_fallback_xlsx, settings=_LAYOUT["settings"])  # fmt: skip


_CELLS = [f"cell{index}" for index in range(len(HEADER))]
_LAYOUT = {
    "columns": _CELLS, "order": ["occurred_at", "id", "n"],
    # The SEVIS ID (checked by the database), the time (to_char), the reference and 'yes' need no escaping.
    "plain": frozenset({"cell0", "cell7", "cell9", "cell10", "cell11"}),
    "settings": {"TimeZone": EASTERN.key},  # to_char()'s TZ is the session zone's: EST or EDT, as zoneinfo's
}  # fmt: skip

_WHEN_SQL = {False: "to_char(e.occurred_at, 'YYYY-MM-DD HH24:MI TZ')",
             True: f"round(CAST(extract(epoch FROM date_trunc('minute', e.occurred_at AT TIME ZONE '{EASTERN.key}'))"
                   " AS numeric) / 86400 + 25569, 10)::text"}  # fmt: skip
# Each change's own cells once (an inner query over events), then one row per changed field.
_EVENTS_SQL = """
  SELECT e.occurred_at, e.id, e.event_type, e.reported_late, s.sevis_id AS cell0, {student} AS cell1,
    CAST(:event_labels AS jsonb) ->> e.event_type AS cell2, {which} AS cell3, {when} AS cell7, e.actor_label AS cell8,
    'E' || e.id AS cell9, {hand} AS cell10, CASE WHEN e.reported_late THEN 'yes' END AS cell11,
    e.fields IS NULL OR NOT CAST(:event_labels AS jsonb) ? e.event_type AS slow,
    -- A change recorded before its fields were (migration 0015): its fields found here, their values as JSON.
    coalesce(e.fields, (
      SELECT coalesce(jsonb_agg(jsonb_build_array(k, b.o -> k, a.o -> k) ORDER BY k COLLATE "C"), '[]'::jsonb)
      FROM jsonb_object_keys(b.o || a.o) AS k
      WHERE k <> ALL (CAST(:not_a_field AS text[]))
        AND coalesce(b.o -> k, 'null'::jsonb) IS DISTINCT FROM coalesce(a.o -> k, 'null'::jsonb))) AS fields
  FROM events AS e JOIN students AS s ON s.id = e.student_id
  CROSS JOIN LATERAL (SELECT CASE WHEN jsonb_typeof(e.before) = 'object' THEN e.before ELSE '{{}}'::jsonb END AS o) AS b
  CROSS JOIN LATERAL (SELECT CASE WHEN jsonb_typeof(e.after) = 'object' THEN e.after ELSE '{{}}'::jsonb END AS o) AS a
  WHERE e.school_id = :school_id AND e.change_kind = ANY (CAST(:kinds AS text[]))
    AND (e.occurred_at >= :covers_from AND e.occurred_at < :covers_until {resend})
    AND e.actor_kind <> 'data_feed' {up_to}
  ORDER BY e.occurred_at, e.id OFFSET 0
"""
_CELLS_SQL = """
SELECT ev.occurred_at AS occurred_at, ev.id AS id, f.n AS n,
  ev.cell0, ev.cell1, ev.cell2, ev.cell3,
  coalesce(CAST(:field_labels AS jsonb) ->> (f.v ->> 0),
           upper(left(replace(f.v ->> 0, '_', ' '), 1)) || substr(replace(f.v ->> 0, '_', ' '), 2)) AS cell4,
  f.v ->> 1 AS cell5, f.v ->> 2 AS cell6, ev.cell7, ev.cell8, ev.cell9, ev.cell10, ev.cell11,
  CASE WHEN ev.slow THEN jsonb_build_array(ev.cell0, ev.cell1, ev.event_type, ev.cell3, f.v ->> 0, f.v -> 1, f.v -> 2,
                                           ev.cell7, ev.cell8, ev.cell9, ev.cell10, ev.reported_late)::text
  END AS fallback
FROM (
{events}) AS ev
CROSS JOIN LATERAL jsonb_array_elements(ev.fields) WITH ORDINALITY AS f(v, n)
ORDER BY ev.occurred_at, ev.id, f.n
"""
# The XLSX sheet: a line per change with its rows (no r attributes: SheetLayout.row_numbers), each change's own
# cells' XML made once. The layers (OFFSET 0) keep each value computed once however often the next one reads it.
# The changes leave in the order the innermost query sorts them (by when, then id): each layer above is a scan of
# the one below, row for row, so no second sort of the finished XML is asked for (it spilled to disk: 136 MB for
# 100,000 changes).
_FIELD_LABEL_SQL = """coalesce(CAST(:field_labels AS jsonb) ->> (f.v ->> 0),
  upper(left(replace(f.v ->> 0, '_', ' '), 1)) || substr(replace(f.v ->> 0, '_', ' '), 2))"""
_XLSX_SQL = """
SELECT CASE WHEN x.slow THEN '#' || (
    SELECT jsonb_agg(jsonb_build_array(x.cell0, x.cell1, x.event_type, x.cell3, f.v ->> 0, f.v -> 1, f.v -> 2, x.cell7,
                                       x.cell8, x.cell9, x.cell10, x.reported_late) ORDER BY f.n)
    FROM jsonb_array_elements(x.fields) WITH ORDINALITY AS f(v, n))::text
  -- (the field rows come in their order: an aggregate reads a function's rows as it returns them)
  ELSE coalesce((SELECT string_agg('<row>' || x.head || coalesce({cell4}, '<c/>') || coalesce({cell5}, '<c/>')
                                   || coalesce({cell6}, '<c/>') || x.tail || '</row>', '')
                 FROM (SELECT {guard4} AS t4, {guard5} AS t5, {guard6} AS t6
                       FROM (SELECT {field_label} AS r4, f.v ->> 1 AS r5, f.v ->> 2 AS r6
                             FROM jsonb_array_elements(x.fields) AS f(v) OFFSET 0) AS r OFFSET 0) AS g), '') END
FROM (
  SELECT gx.occurred_at, gx.id, gx.slow, gx.fields, gx.event_type, gx.reported_late, gx.cell0, gx.cell1, gx.cell3,
    gx.cell7, gx.cell8, gx.cell9, gx.cell10,
    coalesce({cell0}, '<c/>') || coalesce({cell1}, '<c/>') || coalesce({cell2}, '<c/>') || coalesce({cell3}, '<c/>')
      AS head,
    '<c s="2"><v>' || gx.cell7 || '</v></c>' || coalesce({cell8}, '<c/>') || {cell9}
      || CASE WHEN gx.t11 IS NULL THEN coalesce({cell10}, '') ELSE coalesce({cell10}, '<c/>') || {cell11} END AS tail
  FROM (SELECT ev.*, nullif(ev.cell0, '') AS t0, {guard1} AS t1, {guard2} AS t2, {guard3} AS t3,
               {guard8} AS t8, ev.cell9 AS t9, ev.cell10 AS t10, ev.cell11 AS t11
        FROM ({events}) AS ev OFFSET 0) AS gx
  OFFSET 0
) AS x
"""
_WHICH_SQL = """CASE e.change_kind WHEN 'employer' THEN coalesce(a.o ->> 'name', b.o ->> 'name')
  WHEN 'address' THEN CASE WHEN e.event_type = 'address.physical_changed' THEN 'Physical address'
                           ELSE 'Mailing address' END
  WHEN 'document' THEN coalesce(a.o ->> 'kind', b.o ->> 'kind') ELSE '' END"""
_HAND_SQL = """CASE WHEN e.event_type IN ('employer.reviewed', 'address.mailing_removed') OR e.change_kind = 'document'
  OR (e.event_type = 'contact.phone_changed' AND a.o ->> 'phone' LIKE '+%') OR e.id = ANY (CAST(:deletions AS bigint[]))
  THEN 'yes' END"""


def _change_sql(session: Session, school_id: int, change_range: ChangeRange, outer: str, *, excel: bool,
                **cells: str):  # fmt: skip
    """``outer`` (with ``_EVENTS_SQL`` as its {events}) as a statement with its parameters bound."""
    events = _EVENTS_SQL.format(
        student="coalesce(s.given_name, '') || ' ' || coalesce(s.surname, '')", which=_WHICH_SQL,
        when=_WHEN_SQL[excel], hand=_HAND_SQL,
        up_to="AND e.id <= :up_to" if change_range.up_to_event_id is not None else "",
        resend="OR e.id = ANY (CAST(:resend AS bigint[]))" if change_range.resend else "",
    )  # fmt: skip
    params = {"school_id": school_id, "kinds": [kind.value for kind in change_range.kinds],
              "covers_from": change_range.covers_from, "covers_until": change_range.covers_until,
              "not_a_field": list(NOT_A_FIELD), "event_labels": json.dumps(EVENT_LABELS),
              "field_labels": json.dumps(FIELD_LABELS),
              "deletions": sorted(deletions_by_hand(session, school_id, change_range))}  # fmt: skip
    if change_range.up_to_event_id is not None:
        params["up_to"] = change_range.up_to_event_id
    if change_range.resend:
        params["resend"] = list(change_range.resend)
    return text(outer.format(events=events, **cells)).bindparams(**params)


def _change_cells(session: Session, school_id: int, change_range: ChangeRange):
    """``change_rows`` in SQL (PostgreSQL, CSV): a row per changed field, the cells as text and, for a value only
    Python writes as the list shows it (a number, a list), a fallback payload for ``_row``."""
    statement = _change_sql(session, school_id, change_range, _CELLS_SQL, excel=False)
    return statement.columns(*[column(name) for name in ("occurred_at", "id", "n", *_CELLS, "fallback")])


def _change_lines(session: Session, school_id: int, change_range: ChangeRange):
    """The XLSX sheet's rows in SQL (PostgreSQL): a line per change, its rows' XML or its fallback payloads."""
    cells = {f"cell{index}": text_cell_sql(f"gx.t{index}", plain=index in (0, 9, 10, 11)) for index in (0, 1, 2, 3, 8, 9, 10, 11)}
    cells.update({f"cell{index}": text_cell_sql(f"g.t{index}") for index in (4, 5, 6)})
    guards = {f"guard{index}": guarded_sql(f"ev.cell{index}") for index in (1, 2, 3, 8)}
    guards.update({f"guard{index}": guarded_sql(f"r.r{index}") for index in (4, 5, 6)})
    statement = _change_sql(session, school_id, change_range, _XLSX_SQL, excel=True, field_label=_FIELD_LABEL_SQL,
                            **cells, **guards)  # fmt: skip
    return statement.columns(column("line"))


# --- SEVIS batch XML (Create-UpdateStudent.xsd) -------------------------------------------------

def _el(name: str, value) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def _address_xml(values: dict, prefix: str = "") -> str:
    get = lambda key: values.get(prefix + key) if prefix + key in values else values.get(key)  # noqa: E731
    parts = [_el("Address1", get("line1"))]
    if get("line2"):
        parts.append(_el("Address2", get("line2")))
    parts += [_el("City", get("city")), _el("State", get("state")), _el("PostalCode", get("postal_code"))]
    return "".join(parts)


def _employer_address(values: dict) -> str:
    parts = [_el("Address1", values["address_line1"])]
    if values.get("address_line2"):
        parts.append(_el("Address2", values["address_line2"]))
    parts += [_el("City", values["city"]), _el("State", values["state"]), _el("PostalCode", values["postal_code"])]
    return "".join(parts)


_EMPLOYMENT_TIME = {"full_time": "01", "part_time": "02"}
_OPTIONAL_TAIL = (("supervisor_first_name", "SupervisorFirstName"), ("supervisor_last_name", "SupervisorLastName"),
                  ("supervisor_phone", "SupervisorPhone"), ("supervisor_phone_ext", "SupervisorPhoneExt"),
                  ("supervisor_email", "SupervisorEmail"), ("job_title", "StudentsJobTitle"))  # fmt: skip


def _employer_xml(values: dict, *, full: bool) -> str:
    """An Employer (full) or UpdateEmployerType (only the fields present) in the schema's order."""
    parts = []
    if values.get("name"):
        parts.append(_el("EmployerName", values["name"]))
    if full or "address_line1" in values:
        if values.get("address_line1"):
            parts.append(f"<EmployerAddress>{_employer_address(values)}</EmployerAddress>")
    if values.get("ein"):
        parts.append(_el("EmployerEIN", values["ein"]))
    if "self_employed" in values and values["self_employed"] is not None:
        parts.append(_el("SelfEmployed", "Y" if values["self_employed"] else "N"))
    if values.get("course_relevance"):
        parts.append(_el("CourseRelevance", values["course_relevance"]))
    if values.get("employment_time"):
        parts.append(_el("FullPartTimeIndicator", _EMPLOYMENT_TIME[values["employment_time"]]))
    if values.get("start_date"):
        parts.append(_el("StartDate", values["start_date"]))
    if values.get("end_date"):
        parts.append(_el("EndDate", values["end_date"]))
    for key, tag in _OPTIONAL_TAIL:
        if values.get(key):
            parts.append(_el(tag, values[key]))
    return "".join(parts)


def _employment_identifier(employer: Employer | None) -> str | None:
    opt = employer.opt_authorization if employer is not None else None
    if opt is None:
        return None
    return f"<EmploymentIdentifier>{_el('StartDate', opt.start_date)}{_el('EndDate', opt.end_date)}</EmploymentIdentifier>"


EMPLOYER_EVENTS = ("employer.added", "employer.restored", "employer.deleted", "employer.updated",
                   "employer.resubmitted", "employer.reviewed")  # fmt: skip
PERSONAL_EVENTS = ("address.physical_changed", "address.mailing_changed", "address.mailing_removed",
                   "contact.phone_changed", "contact.email_change_requested")  # fmt: skip
XML_KINDS = (ChangeKind.EMPLOYER, ChangeKind.ADDRESS, ChangeKind.CONTACT)
# Fields of an employer event that are the portal's own bookkeeping, never sent to SEVIS.
_NOT_SENT = frozenset({"id", "reported_late", "review_status", "note"})
_EMPLOYER_ADDRESS = ("address_line1", "address_line2", "city", "state", "postal_code")
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
class _EmployerNet:
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


def _employer_record(net: _EmployerNet, employer: Employer | None) -> str | None:
    """The net effect of one employer's events as an OPTEmployer element, or None when there is nothing to send."""
    identifier = _employment_identifier(employer)
    if identifier is None or net.last_event is None:
        return None
    if not net.present_at_start:
        if not net.present_at_end or not net.final:
            return None  # added and then deleted as "never worked here": SEVIS never hears of it
        return f'<OPTEmployer><Add printForm="false">{identifier}<Employer>{_employer_xml(net.final, full=True)}</Employer></Add></OPTEmployer>'
    if not net.present_at_end:
        return None  # a deletion of an employer SEVIS holds: by hand
    changed = {key: value for key, value in net.final.items()
               if key not in _NOT_SENT and key in net.start and net.start[key] != value}  # fmt: skip
    if not changed:
        return None
    if any(key in _EMPLOYER_ADDRESS for key in changed):  # SEVIS takes the whole address
        current = {**{key: getattr(employer, key) for key in _EMPLOYER_ADDRESS}, **net.final}
        changed.update({key: current.get(key) for key in _EMPLOYER_ADDRESS})
    name = net.start.get("name") or net.final.get("name") or employer.name
    started = net.start.get("start_date") or net.final.get("start_date") or employer.start_date.isoformat()
    identity = f"<EmployerIdentifier>{_el('EmployerName', name)}{_el('StartDate', started)}</EmployerIdentifier>"
    return f'<OPTEmployer><Edit printForm="false">{identifier}{identity}<Employer>{_employer_xml(changed, full=False)}</Employer></Edit></OPTEmployer>'


def _address_values(values: dict | None) -> dict | None:
    if not values:
        return None
    return {key: values.get(key) for key in ("line1", "line2", "city", "state", "postal_code")}


def _personal_record(events: list[Event]) -> str | None:
    """The net effect of a student's contact and address changes as one PersonalInfo element (None for none)."""
    start: dict[str, object] = {}
    final: dict[str, object] = {}
    for event in events:
        before, after = event.before or {}, event.after or {}
        if event.event_type == "contact.phone_changed":
            start.setdefault("phone", before.get("phone"))
            final["phone"] = after.get("phone")
        elif event.event_type == "contact.email_change_requested":
            start.setdefault("email", before.get("email"))
            final["email"] = after.get("requested_email") or after.get("email")
        else:
            kind = "physical" if event.event_type == "address.physical_changed" else "mailing"
            start.setdefault(kind, _address_values(event.before))
            final[kind] = _address_values(event.after)
    changed = {key: value for key, value in final.items() if value and value != start.get(key)}
    parts = []
    if changed.get("email"):
        parts.append(_el("Email", changed["email"]))
    if changed.get("phone") and US_PHONE.fullmatch(str(changed["phone"])):
        parts.append("<Telephone><TelephoneExemptInd>N</TelephoneExemptInd>"
                     f"<Phone>{_el('USNumber', changed['phone'])}</Phone></Telephone>")  # fmt: skip
    if changed.get("physical"):
        parts.append(f"<USAddress>{_address_xml(changed['physical'])}</USAddress>")
    if changed.get("mailing"):
        parts.append(f"<MailingAddress>{_address_xml(changed['mailing'])}</MailingAddress>")
    return f'<PersonalInfo printForm="false">{"".join(parts)}</PersonalInfo>' if parts else None


def _hand_entries(student: Student, by_employer: dict[str, _EmployerNet], events: list[Event]) -> list[HandEntry]:
    """What the batch cannot carry: deletions of employers SEVIS holds, STEM reviews, documents, the rest."""
    name = _student_name(student)
    entries = []
    for net in by_employer.values():
        if net.present_at_start and not net.present_at_end and net.deletion is not None:
            before = net.deletion.before or {}
            entries.append(HandEntry(net.deletion.id, net.deletion.occurred_at, student.sevis_id, name,
                                     "Employer deleted (the student never worked there)", before.get("name") or "",
                                     "Remove this employer from the student's OPT employment in SEVIS "
                                     f"(start date {before.get('start_date') or 'not given'})."))  # fmt: skip
    entries += [entry for entry in (_hand_entry(student, name, event) for event in events) if entry is not None]
    return sorted(entries, key=lambda entry: (entry.occurred_at, entry.event_id))


def _hand_entry(student: Student, name: str, event: Event) -> HandEntry | None:
    after, before = event.after or {}, event.before or {}
    made = partial(HandEntry, event.id, event.occurred_at, student.sevis_id, name)
    if event.event_type == "employer.reviewed":
        status = after.get("review_status")
        words = label(EmployerReview(status)) if status in {item.value for item in EmployerReview} else "reviewed"
        note = f": {after['note']}" if after.get("note") else ""
        return made("STEM employer reviewed", after.get("name") or "", f"Record the school's review in SEVIS ({words}{note}).")
    if event.event_type == "address.mailing_removed":
        return made("Mailing address removed", "Mailing address", "Remove the student's mailing address in SEVIS.")
    if event.event_type == "contact.phone_changed" and not US_PHONE.fullmatch(str(after.get("phone") or "")):
        return made("Phone number changed", "Phone number",
                    f"Enter the student's new phone number {after.get('phone') or ''} in SEVIS.")  # fmt: skip
    if event.change_kind is ChangeKind.DOCUMENT:
        return made(event_label(event.event_type), after.get("kind") or before.get("kind") or "Document",
                    f"Read the uploaded file {after.get('filename') or ''} and update SEVIS from it.")  # fmt: skip
    return None


@dataclass
class StudentNet:
    """A student's net effect in a range: the XML records (reference, element) and what to enter by hand."""

    student: Student
    records: list[tuple[str, str]]
    by_hand: list[HandEntry]
    carried: list[tuple[int, ...]] = field(default_factory=list)  # per record: the events it carries


def net_changes(session: Session, school_id: int, change_range: ChangeRange) -> Iterator[StudentNet]:
    """Each student's changes in the range folded to their net effect (rule 9), student by student."""
    kinds = tuple(kind for kind in change_range.kinds if kind in (*XML_KINDS, ChangeKind.DOCUMENT))
    if not kinds:
        return
    conditions = _conditions(school_id, replace(change_range, kinds=kinds))
    statement = (select(Event).where(*conditions, Event.student_id.is_not(None),
                                     or_(Event.event_type.in_(EMPLOYER_EVENTS + PERSONAL_EVENTS),
                                         Event.change_kind == ChangeKind.DOCUMENT))
                 .order_by(Event.student_id, Event.occurred_at, Event.id).execution_options(yield_per=BATCH))  # fmt: skip
    group: list[Event] = []
    for event in session.scalars(statement):
        if group and group[0].student_id != event.student_id:
            yield _student_net(session, group)
            group = []
        group.append(event)
    if group:
        yield _student_net(session, group)


def _student_net(session: Session, events: list[Event]) -> StudentNet:
    student = session.get(Student, events[0].student_id)
    by_employer: dict[str, _EmployerNet] = {}
    for event in events:
        if event.event_type in EMPLOYER_EVENTS and (event.subject or "").startswith("employer:"):
            by_employer.setdefault(event.subject, _EmployerNet()).apply(event)
    employers = _employers_for(session, list(by_employer))
    records = []
    for subject, net in by_employer.items():
        body = _employer_record(net, employers.get(_subject_id(subject)))
        if body is not None:
            records.append((net.last_event.occurred_at, net.last_event.id, body,
                            _carried(event for event in events if event.subject == subject)))  # fmt: skip
    personal = [event for event in events if event.event_type in PERSONAL_EVENTS]
    body = _personal_record(personal) if personal else None
    if body is not None:
        records.append((personal[-1].occurred_at, personal[-1].id, body, _carried(personal)))
    records.sort(key=lambda record: (record[0], record[1]))
    return StudentNet(student, [(event_reference(event_id), body) for _, event_id, body, _ in records],
                      _hand_entries(student, by_employer, events), [carried for *_, carried in records])  # fmt: skip


def _carried(events) -> tuple[int, ...]:
    """The events a record carries: those of its employer or of the student's contact details, but the by-hand kinds."""
    return tuple(event.id for event in events if not _by_hand_kind(event.event_type, event.change_kind, event.after or {}))


def _subject_id(subject: str) -> int | None:
    value = subject.split(":", 1)[1]
    return int(value) if value.isdigit() else None


def _employers_for(session: Session, subjects: list[str]) -> dict[int, Employer]:
    ids = [number for number in map(_subject_id, subjects) if number is not None]
    if not ids:
        return {}
    rows = session.scalars(select(Employer).where(Employer.id.in_(ids)).options(selectinload(Employer.opt_authorization)))
    return {employer.id: employer for employer in rows}


def xml_records(session: Session, school_id: int, change_range: ChangeRange, *, user_id: str) -> Iterator[str]:
    """One UpdateStudent/Student element per net change SEVIS batch can carry, student by student."""
    for net in net_changes(session, school_id, change_range):
        for request_id, body in net.records:
            yield (f"<Student sevisID={quoteattr(net.student.sevis_id)} requestID={quoteattr(request_id)} "
                   f"userID={quoteattr(user_id)}>{body}</Student>")  # fmt: skip


LIFECYCLE_EVENTS = ("employer.added", "employer.restored", "employer.deleted")


def _by_hand_condition():
    """The changes that are entered by hand whatever else happened in the range (a deletion depends on the rest)."""
    return or_(Event.event_type.in_(("employer.reviewed", "address.mailing_removed")),
               Event.change_kind == ChangeKind.DOCUMENT,
               and_(Event.event_type == "contact.phone_changed", Event.after["phone"].as_string().like("+%")))  # fmt: skip


def by_hand(session: Session, school_id: int, change_range: ChangeRange, *, limit: int | None = None) -> list[HandEntry]:
    """Everything in the range to enter in SEVIS by hand, oldest first (the first ``limit``): the same entries as
    ``net_changes`` finds, read without folding every change of the range."""
    conditions = _conditions(school_id, change_range)
    statement = (select(Event).where(*conditions, Event.student_id.is_not(None),
                                     or_(_by_hand_condition(), Event.event_type == "employer.deleted"))
                 .order_by(Event.occurred_at, Event.id))  # fmt: skip
    events = list(session.scalars(statement))
    nets = _lifecycles(session, conditions, {event.subject for event in events
                                             if event.event_type == "employer.deleted" and event.subject})  # fmt: skip
    by_student: dict[int, list[Event]] = {}
    for event in events:
        by_student.setdefault(event.student_id, []).append(event)
    entries: list[HandEntry] = []
    for student_id, own in by_student.items():
        mine = {event.subject: nets[event.subject] for event in own if event.subject in nets}
        entries += _hand_entries(session.get(Student, student_id), mine, own)
    entries.sort(key=lambda entry: (entry.occurred_at, entry.event_id))
    return entries[:limit] if limit is not None else entries


def _lifecycles(session: Session, conditions: list, subjects: set[str]) -> dict[str, _EmployerNet]:
    """The adds, deletes and restores in the range of these employers, folded."""
    nets: dict[str, _EmployerNet] = {}
    if subjects:
        lifecycle = (select(Event).where(*conditions, Event.subject.in_(subjects), Event.event_type.in_(LIFECYCLE_EVENTS))
                     .order_by(Event.occurred_at, Event.id))  # fmt: skip
        for event in session.scalars(lifecycle):
            nets.setdefault(event.subject, _EmployerNet()).apply(event)
    return nets


def deletions_by_hand(session: Session, school_id: int, change_range: ChangeRange) -> set[int]:
    """The ids of the range's deletions of employers SEVIS holds (the other by-hand kinds go by their type)."""
    conditions = _conditions(school_id, change_range)
    subjects = set(session.scalars(select(Event.subject).where(*conditions, Event.event_type == "employer.deleted")))
    nets = _lifecycles(session, conditions, {subject for subject in subjects if subject})
    return {net.deletion.id for net in nets.values()
            if net.present_at_start and not net.present_at_end and net.deletion is not None}  # fmt: skip


@dataclass(frozen=True)
class BatchRecord:
    """One Student element of a batch: which file it goes in, its requestID, whose it is and the events it carries."""

    part: int
    request_id: str
    student_id: int
    event_ids: tuple[int, ...]


def batch_contents(session: Session, school_id: int, change_range: ChangeRange) -> list[BatchRecord]:
    """The records the range's batch files hold, in ``xml_records``'s order and split as ``xml_files`` splits them."""
    contents = []
    for net in net_changes(session, school_id, change_range):
        for (request_id, _), carried in zip(net.records, net.carried, strict=True):
            contents.append(BatchRecord(len(contents) // MAX_RECORDS_PER_FILE + 1, request_id, net.student.id, carried))
    return contents


def count_xml_records(session: Session, school_id: int, change_range: ChangeRange) -> int:
    """How many XML records the range's net effect makes."""
    return sum(len(net.records) for net in net_changes(session, school_id, change_range))


def sevis_user_id(actor: Actor) -> str:
    """The 10-character userID the batch carries: the official's portal id, zero-padded."""
    return f"{actor.user_id or 0:010d}"[-10:]


_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_FILES_PER_DOWNLOAD = 36**2 - 1  # the file number has two base-36 characters in the 14 of a BatchID


def batch_id(download_id: int, part: int) -> str:
    """A unique 14-character BatchID: OPT, the download number (nine digits), the file number (two base-36
    characters, so a download of up to 1,295 files never repeats one)."""
    if not 1 <= part <= MAX_FILES_PER_DOWNLOAD:
        raise ValueError(f"file number {part} does not fit a BatchID")
    return f"OPT{download_id % 10**9:09d}{_BASE36[part // 36]}{_BASE36[part % 36]}"


def batch_part(code: str) -> int:
    """The file number of a BatchID's last two characters (the inverse of ``batch_id``'s)."""
    return int(code, 36)


def _file_head(school: School, user_id: str, download_id: int, part: int) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<SEVISBatchCreateUpdateStudent userID={quoteattr(user_id)}>'
            f"<BatchHeader>{_el('BatchID', batch_id(download_id, part))}{_el('OrgID', school.code)}</BatchHeader>"
            "<UpdateStudent>")  # fmt: skip


_FILE_TAIL = "</UpdateStudent></SEVISBatchCreateUpdateStudent>\n"


def xml_files(records: Iterator[str], *, school: School, user_id: str, download_id: int) -> Iterator[tuple[int, Iterator[str]]]:
    """Split records into batch files of at most 250 students each; yields (file number, text chunks)."""
    records = iter(records)
    part = 0
    pending = next(records, None)
    if pending is None:
        return
    while pending is not None:
        part += 1

        def one_file(first: str, part: int = part) -> Iterator[str]:
            nonlocal pending
            yield _file_head(school, user_id, download_id, part)
            yield first
            count = 1
            pending = None
            for record in records:
                if count == MAX_RECORDS_PER_FILE:
                    pending = record
                    break
                yield record
                count += 1
            yield _FILE_TAIL

        yield part, one_file(pending)


def xml_single(records: Iterator[str], *, school: School, user_id: str, download_id: int) -> Iterator[bytes]:
    """One batch file (for at most 250 records); an empty UpdateStudent is not allowed, so none means no file."""
    for _, chunks in xml_files(records, school=school, user_id=user_id, download_id=download_id):
        for chunk in chunks:
            yield chunk.encode("utf-8")


def xml_zip(records: Iterator[str], *, school: School, user_id: str, download_id: int) -> Iterator[bytes]:
    """Several batch files in a zip, written to a temporary file entry by entry and then streamed."""
    handle, path = tempfile.mkstemp(suffix=".zip")
    os.close(handle)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for part, chunks in xml_files(records, school=school, user_id=user_id, download_id=download_id):
                with archive.open(f"sevis-batch-{part:03d}.xml", "w") as entry:
                    for chunk in chunks:
                        entry.write(chunk.encode("utf-8"))
        with open(path, "rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)
