"""Streaming exports: memory stays flat whatever the row count; cells that look like formulas are defused."""

import io
import tracemalloc
from datetime import date

import pytest
from openpyxl import load_workbook

from portal.services.exports import csv_chunks, safe_cell, xlsx_chunks

HEADER = ["SEVIS ID", "Name", "Employer", "Notes"]


def _rows(count):
    for number in range(count):
        yield [f"N{number:010d}", f"Student {number}", f"Employer {number % 97}", "x" * 80]


def _peak_while_consuming(chunks) -> tuple[int, int]:
    tracemalloc.start()
    size = 0
    try:
        for chunk in chunks:
            size += len(chunk)
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("make", [csv_chunks, xlsx_chunks], ids=["csv", "xlsx"])
def test_memory_stays_flat_from_2000_to_40000_rows(make):
    small_peak, small_size = _peak_while_consuming(make(HEADER, _rows(2_000)))
    large_peak, large_size = _peak_while_consuming(make(HEADER, _rows(40_000)))
    assert large_size > 10 * small_size  # twenty times the rows really were written
    assert large_peak < small_peak * 2 + 1_000_000  # but memory did not grow with them


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-3", "'-3"),
        ("@SUM", "'@SUM"),
        ("Plain", "Plain"),
        (None, ""),
        (7, 7),
    ],
)
def test_cells_that_look_like_formulas_are_defused(value, expected):
    assert safe_cell(value) == expected


def test_xlsx_keeps_each_cell_a_spreadsheet_reads_back():
    rows = [
        ["N0000000001", "O'Brien & <Sons>", 7, date(2026, 3, 31), None, "=HYPERLINK(1)", "  padded ", "bell\x07"],
        ["N0000000002", "", 2.5, True, "Plain", "", "x" * 40_000, "é ü 名"],
    ]
    body = b"".join(xlsx_chunks(["A", "B", "C", "D", "E", "F", "G", "H"], rows, sheet="Students"))
    workbook = load_workbook(io.BytesIO(body))
    sheet = workbook.active
    assert sheet.title == "Students" and sheet["A1"].font.b and not sheet["A2"].font.b
    values = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    # A control character XML cannot hold is written as Excel's escape (_x0007_), which Excel reads back.
    assert values[0] == [
        "N0000000001",
        "O'Brien & <Sons>",
        7,
        "2026-03-31",
        None,
        "'=HYPERLINK(1)",
        "  padded ",
        "bell_x0007_",
    ]
    assert values[1][:6] == ["N0000000002", None, 2.5, True, "Plain", None]
    assert values[1][6] == "x" * 32767 and values[1][7] == "é ü 名"
