"""Streaming exports: memory stays flat whatever the row count; cells that look like formulas are defused."""

import tracemalloc

import pytest

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


@pytest.mark.parametrize(("value", "expected"), [("=1+1", "'=1+1"), ("+44 20", "'+44 20"), ("-3", "'-3"), ("@SUM", "'@SUM"),
                                                 ("Plain", "Plain"), (None, ""), (7, 7)])  # fmt: skip
def test_cells_that_look_like_formulas_are_defused(value, expected):
    assert safe_cell(value) == expected
