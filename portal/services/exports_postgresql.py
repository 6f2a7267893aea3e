"""Exports on PostgreSQL: the database writes each row's CSV fields or XLSX row XML and COPY streams them.

Python then touches each 64 KiB block a few times at C speed instead of each row and each cell, and PostgreSQL
formats the next rows while a block is being sent. The text is the same as ``csv_chunks`` and ``xlsx_chunks``
write from the same values (tests compare them byte for byte). A row the SQL cannot write comes as '#' and a
``fallback`` payload (JSON text) instead, and Python writes that row.

The caller's ``cells`` SELECT gives each row's cells as text (or NULL), in the columns named ``columns``, sorted
by its columns named ``order`` (``descending`` for all); for XLSX also ``row_number`` (2 for the first row); with a
``fallback``, a ``fallback`` column (NULL but on rows Python writes; the first cell then never starts with '#').
``plain`` columns are text the database guarantees needs no defusing or escaping (ISO dates, enum values, a SEVIS
ID: no leading formula character, no &, <, > or control character, no space at either end): fewer operations.
``settings`` are PostgreSQL settings for the transaction (the TimeZone that to_char() labels times in).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from enum import Enum

from psycopg import sql
from sqlalchemy import Select
from sqlalchemy.orm import Session

from portal.services.exports import (
    CHUNK,
    DATE_STYLE,
    FORMULA_STARTS,
    XML_ESCAPES,
    SheetLayout,
    column_letter,
    csv_head,
    csv_text,
    xlsx_file,
    xlsx_row,
)

MAX_CELL = 32767  # characters an XLSX cell holds
# Python's str.isspace() at either end of a cell's text asks for xml:space="preserve": these code points (its
# control characters are never at an end once escaped, as _x000B_, so they are not among them).
_SPACE_CODES = sql.SQL(", ").join(
    sql.Literal(code) for code in range(0x3001) if chr(code).isspace() and code not in XML_ESCAPES
)
_CONTROL_ESCAPES = {bytes([code]): value.encode() for code, value in XML_ESCAPES.items() if code < 32}
_CONTROL_BYTES = b"".join(_CONTROL_ESCAPES)
_CONTROL = re.compile(b"[" + re.escape(_CONTROL_BYTES) + b"]")
_COPY_ESCAPE = re.compile(rb"\\([\\bfnrtv])")  # COPY's text format escapes a backslash, newline, tab ...
_COPY_UNESCAPES = {b"\\": b"\\", b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}
_FORMULA_CODES = sql.SQL(", ").join(sql.Literal(ord(start)) for start in FORMULA_STARTS)

Fallback = Callable[[list], list]  # the JSON payload of a row -> the values Python writes for it


def _guarded(column: str, *, plain: bool, limit: int | None = None) -> sql.Composable:
    """``safe_cell`` in SQL (a formula-looking text gets a leading quote), cut to ``limit`` characters; NULL for ''.

    A ``plain`` column is only made NULL when empty: its text needs nothing else.
    """
    value = sql.SQL("cells.{}").format(sql.Identifier(column))
    quoted = sql.SQL("'''' || {}").format(value)
    kept = sql.SQL("nullif({}, '')").format(value)
    if plain:
        return kept
    if limit is not None:  # octet_length() is free; left() counts characters, so only when it may cut
        cut = sql.Literal(limit)
        quoted = sql.SQL(
            "CASE WHEN octet_length({value}) >= {cut} THEN left({quoted}, {cut}) ELSE {quoted} END"
        ).format(value=value, quoted=quoted, cut=cut)
        kept = sql.SQL("CASE WHEN octet_length({value}) > {cut} THEN left({value}, {cut}) ELSE {kept} END").format(
            value=value, kept=kept, cut=cut
        )
    return sql.SQL("CASE WHEN ascii({}) IN ({}) THEN {} ELSE {} END").format(value, _FORMULA_CODES, quoted, kept)


def _cell_xml(index: int, plain: bool, date: bool = False) -> sql.Composable:
    """The <c> of column ``index`` in the current row, '' for an empty cell (|| with a NULL text is NULL)."""
    text = sql.SQL("trimmed.{}").format(sql.Identifier(f"_text{index}"))
    start = sql.Literal(f'<c r="{column_letter(index)}')
    if date:  # the text is an Excel serial number (ExcelDateTime)
        return sql.SQL("""coalesce({} || trimmed._row || '"{}><v>' || {} || '</v></c>', '')""").format(
            start, sql.SQL(DATE_STYLE.replace("'", "''")), text
        )
    if plain:
        return sql.SQL(
            """coalesce({} || trimmed._row || '" t="inlineStr"><is><t>' || {} || '</t></is></c>', '')"""
        ).format(start, text)
    # (|| rather than concat() or format(), which are slower)
    return sql.SQL(
        """coalesce({start} || trimmed._row || '" t="inlineStr"><is><t' || """
        """CASE WHEN ascii({text}) IN ({spaces}) OR ascii(right({text}, 1)) IN ({spaces}) """
        """THEN ' xml:space="preserve"' ELSE '' END || '>' || """
        """replace(replace(replace({text}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;') || '</t></is></c>', '')"""
    ).format(text=text, start=start, spaces=_SPACE_CODES)


def _ordered(order: list[str], table: str, descending: bool) -> sql.Composable:
    direction = sql.SQL(" DESC" if descending else "")
    return sql.SQL(", ").join(
        sql.SQL("{}.{}{}").format(sql.Identifier(table), sql.Identifier(name), direction) for name in order
    )


def csv_copy_chunks(
    session: Session,
    header: list[str],
    cells: Select,
    *,
    columns: list[str],
    order: list[str],
    plain: frozenset = frozenset(),
    descending: bool = False,
    fallback: Fallback | None = None,
    settings: dict | None = None,
) -> Iterator[bytes]:
    """``csv_chunks`` for the rows of ``cells``."""
    values = [_guarded(column, plain=column in plain) for column in columns]
    if fallback is not None:  # the row is '#' and its payload in the first field, for Python to replace
        values[0] = sql.SQL("CASE WHEN cells.fallback IS NULL THEN {} ELSE '#' || cells.fallback END").format(values[0])
    inner, params = _compiled(session, cells)
    statement = sql.SQL("SELECT {} FROM ({} OFFSET 0) AS cells ORDER BY {}").format(
        sql.SQL(", ").join(values), inner, _ordered(order, "cells", descending)
    )
    yield csv_head(header).encode()  # before the query runs
    for block, count in _copy_blocks(session, statement, params, "FORMAT csv", settings):
        # COPY ends each row with \n, Python's csv with \r\n; a block with a row holding a \n of its own (quoted)
        # or a fallback row is read and written again by Python's csv.
        if block.count(b"\n") == count and not (block.startswith(b'"#') or b'\n"#' in block):
            yield block.replace(b"\n", b"\r\n")
        else:
            yield _csv_rewritten(block, fallback)


def _csv_rewritten(block: bytes, fallback: Fallback | None) -> bytes:
    rows = []
    for row in csv.reader(io.StringIO(block.decode(), newline="")):
        rows.append(fallback(json.loads(row[0][1:])) if fallback is not None and row[0].startswith("#") else row)
    return csv_text(rows).encode()


def xlsx_copy_chunks(
    session: Session,
    header: list[str],
    cells: Select,
    *,
    columns: list[str],
    order: list[str],
    sheet: str,
    plain: frozenset = frozenset(),
    descending: bool = False,
    fallback: Fallback | None = None,
    settings: dict | None = None,
    layout: SheetLayout | None = None,
    dates: frozenset = frozenset(),
) -> Iterator[bytes]:
    """``xlsx_chunks`` for the rows of ``cells``; every value is text, so every cell is an inline string but the
    ``dates`` columns, whose text is an Excel serial number (an ``ExcelDateTime`` in Python), written as dates."""
    plain = plain | dates
    texts = [
        sql.SQL("{} AS {}").format(
            _guarded(column, plain=column in plain, limit=MAX_CELL), sql.Identifier(f"_text{index}")
        )
        for index, column in enumerate(columns)
    ]
    extra = [sql.SQL("cells.fallback")] if fallback is not None else []
    inner, params = _compiled(session, cells)
    trimmed = sql.SQL(
        "SELECT cells.row_number::text AS _row, {} FROM ({} OFFSET 0) AS cells ORDER BY {} OFFSET 0"
    ).format(
        sql.SQL(", ").join([*texts, *extra, *[sql.SQL("cells.{}").format(sql.Identifier(name)) for name in order]]),
        inner,
        _ordered(order, "cells", descending),
    )
    cells_xml = [_cell_xml(index, column in plain, column in dates) for index, column in enumerate(columns)]
    row_xml = sql.SQL("'<row r=\"' || trimmed._row || '\">' || {} || '</row>'").format(sql.SQL(" || ").join(cells_xml))
    if fallback is not None:  # '#', the row number, a space and the payload: Python writes this row
        row_xml = sql.SQL(
            "CASE WHEN trimmed.fallback IS NULL THEN {} ELSE '#' || trimmed._row || ' ' || trimmed.fallback END"
        ).format(row_xml)
    statement = sql.SQL("SELECT {} FROM ({}) AS trimmed ORDER BY {}").format(
        row_xml, trimmed, _ordered(order, "trimmed", descending)
    )
    blocks = _copy_blocks(session, statement, params, "FORMAT text", settings)
    return xlsx_file(header, _xlsx_blocks(blocks, fallback, layout), sheet=sheet, layout=layout)


def _xlsx_blocks(
    blocks: Iterator[tuple[bytes, int]], fallback: Fallback | None, layout: SheetLayout | None = None
) -> Iterator[bytes]:
    for block, count in blocks:
        if layout is not None:
            layout.rows[0] += count
        if fallback is not None and (block.startswith(b"#") or b"\n#" in block):
            block = b"".join(
                _xlsx_fallback_row(line[1:], fallback) if line.startswith(b"#") else _unescaped(line)
                for line in block.split(b"\n")
            )
        else:
            block = _unescaped(block.replace(b"\n", b""))  # the end of each row: rows follow each other in XML
        if len(block.translate(None, _CONTROL_BYTES)) != len(block):  # (faster than a regex search)
            # XML cannot hold these: written as Excel reads them back (_x0007_)
            block = _CONTROL.sub(lambda match: _CONTROL_ESCAPES[match.group()], block)
        yield block


def _unescaped(data: bytes) -> bytes:
    return _COPY_ESCAPE.sub(lambda match: _COPY_UNESCAPES[match.group(1)], data) if b"\\" in data else data


def _xlsx_fallback_row(line: bytes, fallback: Fallback) -> bytes:
    number, payload = _unescaped(line).decode().split(" ", 1)
    return xlsx_row(int(number), fallback(json.loads(payload))).encode()


def _compiled(session: Session, cells: Select) -> tuple[sql.SQL, dict]:
    """``cells`` as SQL text and its parameters, which psycopg binds client-side (COPY takes no server-side ones)."""
    compiled = cells.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    params = {name: value.value if isinstance(value, Enum) else value for name, value in compiled.params.items()}
    return sql.SQL(str(compiled)), params


def _copy_blocks(
    session: Session, statement: sql.Composed, params: dict, options: str, settings: dict | None
) -> Iterator[tuple[bytes, int]]:
    """COPY's output of ``statement`` in blocks of about 64 KiB, each with its number of rows (one message a row)."""
    query = sql.SQL("COPY ({}) TO STDOUT WITH ({})").format(statement, sql.SQL(options))
    connection = session.connection().connection.driver_connection
    # A savepoint: a download abandoned midway cancels the COPY, which aborts the transaction; rolling back to the
    # savepoint leaves the request's transaction usable for what comes after (its session, its error page).
    with connection.transaction(), connection.cursor() as cursor:
        # No JIT: an export's many per-row expressions cost seconds to compile before the first byte leaves, more
        # than compiling saves (the change list at 290,000 rows: 7.0 s with it, 2.6 s without).
        cursor.execute("SELECT set_config('jit', 'off', true)")
        for name, value in (settings or {}).items():
            cursor.execute("SELECT set_config(%s, %s, true)", (name, value))  # this transaction only
        with cursor.copy(query, params) as copy:
            parts: list = []
            size = 0
            for data in copy:
                parts.append(data)
                size += len(data)
                if size >= CHUNK:
                    yield b"".join(parts), len(parts)
                    parts, size = [], 0
            yield b"".join(parts), len(parts)


# --- Sheets whose SQL writes each line itself (the change list): SQL text builders and the COPY around them ------

_SPACE_LIST = ", ".join(str(code) for code in range(0x3001) if chr(code).isspace() and code not in XML_ESCAPES)
_FORMULA_LIST = ", ".join(str(ord(start)) for start in FORMULA_STARTS)


def guarded_sql(value: str, limit: int | None = MAX_CELL) -> str:
    """``_guarded`` as SQL text for the expression ``value`` (a column: it is read several times)."""
    quoted, kept = f"'''' || {value}", f"nullif({value}, '')"
    if limit is not None:
        quoted = f"CASE WHEN octet_length({value}) >= {limit} THEN left({quoted}, {limit}) ELSE {quoted} END"
        kept = f"CASE WHEN octet_length({value}) > {limit} THEN left({value}, {limit}) ELSE {kept} END"
    return f"CASE WHEN ascii({value}) IN ({_FORMULA_LIST}) THEN {quoted} ELSE {kept} END"


def text_cell_sql(value: str, *, plain: bool = False) -> str:
    """SQL text of an unnumbered inline-string <c> of the (guarded) column ``value``; NULL when it is NULL."""
    if plain:
        return f"""'<c t="inlineStr"><is><t>' || {value} || '</t></is></c>'"""
    # Most text starts and ends with a printable ASCII character: the full list of spaces is only read for the rest.
    first, last = f"ascii({value})", f"ascii(right({value}, 1))"
    return (
        f"""'<c t="inlineStr"><is><t' || CASE WHEN {first} BETWEEN 33 AND 126 AND {last} BETWEEN 33 AND 126 """
        f"""THEN '' WHEN {first} IN ({_SPACE_LIST}) OR {last} IN ({_SPACE_LIST}) THEN ' xml:space="preserve"' """
        f"""ELSE '' END || '>' || replace(replace(replace({value}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;') """
        "|| '</t></is></c>'"
    )


def xlsx_lines_chunks(
    session: Session,
    header: list[str],
    lines: Select,
    *,
    sheet: str,
    layout: SheetLayout,
    fallback: Fallback,
    settings: dict | None = None,
) -> Iterator[bytes]:
    """An XLSX file whose ``lines`` (one text column) are each some unnumbered <row> elements, or '#' and a JSON
    list of payloads whose rows Python writes (``fallback``); ``layout.rows`` counts the <row> elements."""
    inner, params = _compiled(session, lines)
    blocks = _copy_blocks(
        session, sql.SQL("SELECT * FROM ({}) AS lines").format(inner), params, "FORMAT text", settings
    )
    return xlsx_file(header, _line_blocks(blocks, fallback, layout), sheet=sheet, layout=layout)


def _line_blocks(blocks: Iterator[tuple[bytes, int]], fallback: Fallback, layout: SheetLayout) -> Iterator[bytes]:
    for block, _ in blocks:
        if block.startswith(b"#") or b"\n#" in block:
            block = b"".join(
                _fallback_rows(line[1:], fallback) if line.startswith(b"#") else _unescaped(line)
                for line in block.split(b"\n")
            )
        else:
            block = _unescaped(block.replace(b"\n", b""))
        if len(block.translate(None, _CONTROL_BYTES)) != len(block):
            block = _CONTROL.sub(lambda match: _CONTROL_ESCAPES[match.group()], block)
        layout.rows[0] += block.count(b"<row>")  # (escaped text never holds a "<")
        yield block


def _fallback_rows(line: bytes, fallback: Fallback) -> bytes:
    return "".join(xlsx_row(None, fallback(payload)) for payload in json.loads(_unescaped(line))).encode()
