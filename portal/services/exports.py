"""Streaming CSV and XLSX: memory stays flat whatever the number of rows (DESIGN: exports stream)."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator

CHUNK = 64 * 1024
# Spreadsheet apps run a cell that starts with these as a formula (CSV injection); prefix a quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> object:
    """A value ready for a spreadsheet cell: None as empty, text that looks like a formula defused."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV text in chunks of about 64 KiB, with a UTF-8 byte-order mark so Excel reads accents right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_chunks(header: list[str], rows: Iterable[Iterable], *, sheet: str = "List") -> Iterator[bytes]:
    """An XLSX file written row by row with XlsxWriter's constant_memory mode, then streamed from a temp file."""
    import xlsxwriter

    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                              "strings_to_urls": False, "tmpdir": tempfile.gettempdir()})  # fmt: skip
        worksheet = workbook.add_worksheet(sheet[:31])
        bold = workbook.add_format({"bold": True})
        worksheet.write_row(0, 0, header, bold)
        for number, row in enumerate(rows, start=1):
            worksheet.write_row(number, 0, [_xlsx_value(value) for value in row])
        workbook.close()
        with open(path, "rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def _xlsx_value(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return safe_cell(value)
