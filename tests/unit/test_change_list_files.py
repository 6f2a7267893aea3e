"""The change list as CSV and XLSX: the same bytes whether PostgreSQL or Python writes them; real dates and a frozen header."""

import io
import zipfile
from datetime import UTC, datetime

import time_machine
from openpyxl import load_workbook

from portal.services.change_list_files import HEADER, WIDTHS, change_list_csv, change_list_xlsx
from portal.services.change_lists import change_rows
from portal.services.contact import update_phone
from portal.services.exports import ExcelDateTime, SheetLayout, csv_chunks, xlsx_chunks
from tests.unit import test_change_lists as change_list_cases
from tests.unit.test_change_lists import _awkward_changes, _everything

# The change lists' own fixtures, shared with test_change_lists.py (school and dso come from tests/unit/conftest.py).
student_actor = change_list_cases.student_actor


def test_the_files_hold_the_rows_byte_for_byte_as_python_writes_them(factory, db_session, school, dso):
    """On PostgreSQL the database writes the files (COPY); on SQLite they are these rows written by Python."""
    _awkward_changes(db_session, factory, school)
    change_range = _everything(db_session, dso)
    rows = list(change_rows(db_session, school.id, change_range))
    assert [row[4:7] for row in rows][-3:] == [
        ["A", "1.5", "2.0"],
        ["B", "[1, 'x']", "{'k': None}"],
        ["City", "A", "B"],
    ]
    assert [row[7] for row in rows][:2] == ["2026-03-06 02:59 EST", "2026-03-08 03:59 EDT"]
    assert b"".join(change_list_csv(db_session, school.id, change_range)) == "".join(csv_chunks(HEADER, rows)).encode()
    excel_rows = list(change_rows(db_session, school.id, change_range, excel=True))
    copied = zipfile.ZipFile(io.BytesIO(b"".join(change_list_xlsx(db_session, school.id, change_range))))
    written = zipfile.ZipFile(
        io.BytesIO(
            b"".join(
                xlsx_chunks(HEADER, excel_rows, sheet="Changes", layout=SheetLayout(widths=WIDTHS, row_numbers=False))
            )
        )
    )
    assert copied.namelist() == written.namelist()
    assert all(copied.read(name) == written.read(name) for name in written.namelist())


def test_the_xlsx_has_real_dates_widths_a_frozen_header_and_a_filter(factory, db_session, school, dso, student_actor):
    student, actor = student_actor
    with time_machine.travel(datetime(2026, 11, 5, 15, 7, 30, tzinfo=UTC), tick=False):
        update_phone(db_session, student, "617 555 0100", actor=actor, expected_version=student.version)
    body = b"".join(change_list_xlsx(db_session, school.id, _everything(db_session, dso)))
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:L2"
    assert sheet.column_dimensions["B"].width == 24
    assert sheet["H2"].value == datetime(2026, 11, 5, 10, 7) and sheet["H2"].number_format == "yyyy-mm-dd hh:mm"
    assert [cell.value for cell in sheet[1]][:3] == ["SEVIS ID", "Student", "What changed"]


def test_rows_without_r_attributes_read_as_the_numbered_ones():
    """The change list's sheet leaves out the optional r attributes: openpyxl reads the same cells where they were."""
    rows = [["a", None, " b ", None, 1.5, None], [None, "=x", ExcelDateTime("46000.5"), "", "y"], [None, None]]
    sheets = [
        load_workbook(
            io.BytesIO(b"".join(xlsx_chunks(["H1", "H2"], rows, layout=SheetLayout(row_numbers=numbered)))),
            read_only=False,
        ).active
        for numbered in (True, False)
    ]
    values = [
        [
            [(cell.coordinate, cell.value, cell.number_format) for cell in row if cell.value is not None]
            for row in sheet.iter_rows()
        ]
        for sheet in sheets
    ]
    assert values[0] == values[1] and values[1][2][1][:2] == ("C3", datetime(2025, 12, 9, 12, 0))
    assert [sheet.auto_filter.ref for sheet in sheets] == ["A1:B4", "A1:B4"]
