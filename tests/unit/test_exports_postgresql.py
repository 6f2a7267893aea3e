"""PostgreSQL writes the exports' rows and COPY streams them: the same bytes as the Python writers, flat memory."""

import io
import tracemalloc
import zipfile

import pytest
from sqlalchemy import Integer, Text, column, func, select, values

from portal.services.exports import csv_chunks, xlsx_chunks
from portal.services.exports_postgresql import csv_copy_chunks, xlsx_copy_chunks

HEADER = ["A", "B", "C"]
# What a spreadsheet cell can meet: formulas, quoting, line ends, spaces XML keeps, characters XML cannot hold,
# escapes COPY writes, text longer than a cell (cut in the middle of a two-byte character's run) ...
TRICKY = [
    "=1+1",
    "+44 20",
    "-3",
    "@SUM(A1)",
    "\tlead tab",
    "\rlead return",
    "'quoted already",
    'say "hi", then',
    "two\nlines",
    "crlf\r\nline",
    "lone\rreturn",
    " padded ",
    "trail tab\t",
    "\u00a0nbsp\u00a0",
    "\u3000wide",
    "bell\x07",
    "\x1funit sep",
    "vt\x0b",
    "back\\slash \\n",
    "O'Brien & <Sons>",
    "é ü 名",
    "",
    None,
    "#hash",
    '"#quote',
    "x" * 40_000,
    "é" * 33_000,
    "=" + "é" * 32_766,
    "plain",
]


@pytest.fixture
def postgresql(db_session):
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("COPY and the SQL that writes the rows are PostgreSQL's; SQLite exports row by row in Python")
    return db_session


def _rows():
    """Three cells a row: every tricky value in each column, beside plain ones."""
    rows = []
    for index, value in enumerate(TRICKY):
        rows += [[value, f"row {index}", None], [f"N{index:010d}", value, value]]
    return rows


def _cells(rows):
    table = values(column("number", Integer), *(column(name, Text) for name in ("a", "b", "c")), name="given")
    table = table.data([(number, *row) for number, row in enumerate(rows)])
    return select(
        table.c.number,
        table.c.a,
        table.c.b,
        table.c.c,
        (func.row_number().over(order_by=table.c.number) + 1).label("row_number"),
    )


def _sheet(body: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml")


def test_csv_is_byte_for_byte_what_python_writes(postgresql):
    rows = _rows()
    copied = b"".join(csv_copy_chunks(postgresql, HEADER, _cells(rows), columns=["a", "b", "c"], order=["number"]))
    assert copied == "".join(csv_chunks(HEADER, rows)).encode()


def test_xlsx_sheet_is_byte_for_byte_what_python_writes(postgresql):
    rows = _rows()
    copied = b"".join(
        xlsx_copy_chunks(postgresql, HEADER, _cells(rows), columns=["a", "b", "c"], order=["number"], sheet="Given")
    )
    assert _sheet(copied) == _sheet(b"".join(xlsx_chunks(HEADER, rows, sheet="Given")))


def test_rows_in_descending_order_and_a_row_python_writes_from_its_fallback_payload(postgresql):
    given = [(1, "first", "1", None, None), (2, "second", "2", None, '["sec\\nond", 2]'), (3, "third", "3", None, None)]
    table = values(
        column("number", Integer), *(column(name, Text) for name in ("a", "b", "c", "fallback")), name="given"
    ).data(given)
    cells = select(*table.c, (func.row_number().over(order_by=table.c.number.desc()) + 1).label("row_number"))

    def fallback(payload):
        return [payload[0].upper(), f"from Python {payload[1]}", "=formula"]

    expected = [["third", "3", None], ["SEC\nOND", "from Python 2", "=formula"], ["first", "1", None]]
    layout = {"columns": ["a", "b", "c"], "order": ["number"], "descending": True, "fallback": fallback}
    csv_body = b"".join(csv_copy_chunks(postgresql, HEADER, cells, **layout))
    assert csv_body == "".join(csv_chunks(HEADER, expected)).encode()
    xlsx_body = b"".join(xlsx_copy_chunks(postgresql, HEADER, cells, sheet="Given", **layout))
    assert _sheet(xlsx_body) == _sheet(b"".join(xlsx_chunks(HEADER, expected, sheet="Given")))


def test_memory_stays_flat_from_2000_to_200000_rows(postgresql):
    def peak(count, make):
        number = column("n", Integer)
        cells = select(
            number,
            func.concat("Student ", number, ' & <Sons>, "quoted"').label("a"),
            func.repeat("x", 80).label("b"),
            (number + 1).label("row_number"),
        ).select_from(func.generate_series(1, count).alias("n"))
        tracemalloc.start()
        try:
            size = sum(len(chunk) for chunk in make(cells))
            return tracemalloc.get_traced_memory()[1], size
        finally:
            tracemalloc.stop()

    for make in (
        lambda cells: csv_copy_chunks(postgresql, HEADER[:2], cells, columns=["a", "b"], order=["n"]),
        lambda cells: xlsx_copy_chunks(postgresql, HEADER[:2], cells, columns=["a", "b"], order=["n"], sheet="Given"),
    ):
        small_peak, small_size = peak(2_000, make)
        large_peak, large_size = peak(200_000, make)
        assert large_size > 50 * small_size  # a hundred times the rows really were written
        assert large_peak < small_peak * 2 + 1_000_000  # but memory did not grow with them
