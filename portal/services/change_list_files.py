"""The change list as CSV and XLSX files: on PostgreSQL the database formats the cells and streams them (COPY),
elsewhere ``change_lists.change_rows`` are written row by row; both give the same bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator

from sqlalchemy import column, text
from sqlalchemy.orm import Session

from portal.services.change_lists import ChangeRange, change_row, change_rows, deletions_by_hand
from portal.services.clock import EASTERN
from portal.services.events import NOT_A_FIELD, value_text
from portal.services.exports import ExcelDateTime, SheetLayout, csv_chunks, xlsx_chunks
from portal.services.exports_postgresql import csv_copy_chunks, guarded_sql, text_cell_sql, xlsx_lines_chunks
from portal.services.labels import EVENT_LABELS, FIELD_LABELS

HEADER = [
    "SEVIS ID",
    "Student",
    "What changed",
    "Which",
    "Field",
    "Old value",
    "New value",
    "When (US Eastern)",
    "By",
    "Reference",
    "Enter in SEVIS by hand",
    "Reported late",
]
WIDTHS = (13, 24, 30, 30, 28, 32, 32, 17, 24, 12, 12, 10)


def _fallback_csv(payload: list) -> list:
    """The row PostgreSQL leaves to Python: a change recorded before its fields were (the values as JSON)."""
    key = payload[4]
    payload[5], payload[6] = value_text(key, payload[5]), value_text(key, payload[6])
    return change_row(*payload)


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
        return xlsx_chunks(
            HEADER, change_rows(session, school_id, change_range, excel=True), sheet="Changes", layout=layout
        )
    return xlsx_lines_chunks(
        session,
        HEADER,
        _change_lines(session, school_id, change_range),
        sheet="Changes",
        layout=layout,
        fallback=_fallback_xlsx,
        settings=_LAYOUT["settings"],
    )


_CELLS = [f"cell{index}" for index in range(len(HEADER))]
_LAYOUT = {
    "columns": _CELLS,
    "order": ["occurred_at", "id", "n"],
    # The SEVIS ID (checked by the database), the time (to_char), the reference and 'yes' need no escaping.
    "plain": frozenset({"cell0", "cell7", "cell9", "cell10", "cell11"}),
    "settings": {"TimeZone": EASTERN.key},  # to_char()'s TZ is the session zone's: EST or EDT, as zoneinfo's
}

_WHEN_SQL = {
    False: "to_char(e.occurred_at, 'YYYY-MM-DD HH24:MI TZ')",
    True: f"round(CAST(extract(epoch FROM date_trunc('minute', e.occurred_at AT TIME ZONE '{EASTERN.key}'))"
    " AS numeric) / 86400 + 25569, 10)::text",
}
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


def _change_sql(session: Session, school_id: int, change_range: ChangeRange, outer: str, *, excel: bool, **cells: str):
    """``outer`` (with ``_EVENTS_SQL`` as its {events}) as a statement with its parameters bound."""
    events = _EVENTS_SQL.format(
        student="coalesce(s.given_name, '') || ' ' || coalesce(s.surname, '')",
        which=_WHICH_SQL,
        when=_WHEN_SQL[excel],
        hand=_HAND_SQL,
        up_to="AND e.id <= :up_to" if change_range.up_to_event_id is not None else "",
        resend="OR e.id = ANY (CAST(:resend AS bigint[]))" if change_range.resend else "",
    )
    params = {
        "school_id": school_id,
        "kinds": [kind.value for kind in change_range.kinds],
        "covers_from": change_range.covers_from,
        "covers_until": change_range.covers_until,
        "not_a_field": list(NOT_A_FIELD),
        "event_labels": json.dumps(EVENT_LABELS),
        "field_labels": json.dumps(FIELD_LABELS),
        "deletions": sorted(deletions_by_hand(session, school_id, change_range)),
    }
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
    cells = {
        f"cell{index}": text_cell_sql(f"gx.t{index}", plain=index in (0, 9, 10, 11))
        for index in (0, 1, 2, 3, 8, 9, 10, 11)
    }
    cells.update({f"cell{index}": text_cell_sql(f"g.t{index}") for index in (4, 5, 6)})
    guards = {f"guard{index}": guarded_sql(f"ev.cell{index}") for index in (1, 2, 3, 8)}
    guards.update({f"guard{index}": guarded_sql(f"r.r{index}") for index in (4, 5, 6)})
    statement = _change_sql(
        session, school_id, change_range, _XLSX_SQL, excel=True, field_label=_FIELD_LABEL_SQL, **cells, **guards
    )
    return statement.columns(column("line"))
