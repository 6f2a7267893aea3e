"""Streaming CSV and XLSX: memory stays flat whatever the number of rows (DESIGN: exports stream)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

CHUNK = 64 * 1024
# Spreadsheet apps run a cell that starts with these as a formula (CSV injection); prefix a quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> object:
    """A value ready for a spreadsheet cell: None as empty, text that looks like a formula defused."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV text in chunks of about 64 KiB, after a UTF-8 byte-order mark and the header (``csv_head``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(csv_head(header))
    for row in rows:
        _write_csv_row(writer, row)
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_head(header: list[str]) -> str:
    """The byte-order mark (so Excel reads accents right) and the header line."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(header)
    return "\ufeff" + buffer.getvalue()


def csv_text(rows: Iterable[Iterable]) -> str:
    """The CSV lines of ``rows`` as ``csv_chunks`` writes them (no byte-order mark, no header)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        _write_csv_row(writer, row)
    return buffer.getvalue()


def _write_csv_row(writer, row: Iterable) -> None:
    # safe_cell inlined (the csv module already writes None as empty): this runs once per cell.
    writer.writerow(
        [("'" + value) if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value for value in row]
    )


@dataclass
class SheetLayout:
    """How a sheet reads: column widths (characters), a frozen header row and a filter on it. ``rows`` counts the
    rows written, for the filter's range at the end."""

    widths: tuple[int, ...] = ()
    frozen_header: bool = True
    autofilter: bool = True
    # Without them each row follows the one before and each cell the one before (an empty one as <c/>): the r
    # attributes are optional in SpreadsheetML, and a file without them is written faster.
    row_numbers: bool = True
    rows: list[int] = field(default_factory=lambda: [0])


class ExcelDateTime(str):
    """A date and time as Excel stores it: the serial number of days since 1899-12-30, as text (10 decimals)."""

    __slots__ = ()

    @classmethod
    def of(cls, local: datetime) -> ExcelDateTime:
        delta = local.replace(tzinfo=None) - EXCEL_EPOCH
        days = Decimal(delta.days) + Decimal(delta.seconds) / Decimal(86400)
        return cls(days.quantize(Decimal("1E-10"), rounding=ROUND_HALF_UP))


EXCEL_EPOCH = datetime(1899, 12, 30)
DATE_STYLE = ' s="2"'  # cellXfs 2: yyyy-mm-dd hh:mm


def xlsx_chunks(
    header: list[str], rows: Iterable[Iterable], *, sheet: str = "List", layout: SheetLayout | None = None
) -> Iterator[bytes]:
    """An XLSX file streamed as it is zipped: the sheet's XML is written row by row (inline strings), never held.

    The same cells as XlsxWriter's constant_memory mode wrote: a bold header, text as inline strings, numbers as
    numbers, dates as ISO text (an ``ExcelDateTime`` as a real date), empty values as no cell; formula-looking text
    defused.
    """
    return xlsx_file(header, _sheet_rows(rows, layout), sheet=sheet, layout=layout)


def _sheet_rows(rows: Iterable[Iterable], layout: SheetLayout | None = None) -> Iterator[bytes]:
    """The sheet's <row> elements from row 2 on, a thousand rows per block."""
    pending: list[str] = []
    number = 1
    numbered = layout is None or layout.row_numbers
    for number, row in enumerate(rows, start=2):
        pending.append(xlsx_row(number if numbered else None, row))
        if len(pending) >= 1000:
            yield "".join(pending).encode()
            pending.clear()
    if layout is not None:
        layout.rows[0] = number - 1
    yield "".join(pending).encode()


def xlsx_file(
    header: list[str], blocks: Iterable[bytes], *, sheet: str, layout: SheetLayout | None = None
) -> Iterator[bytes]:
    """The zip around the sheet: the fixed parts first (they leave before the rows are read), then the rows."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, body in _xlsx_parts(sheet).items():
            archive.writestr(name, body)
        yield sink.take()
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(_sheet_head(layout))
            part.write(xlsx_row(1, header, ' s="1"').encode())
            for block in blocks:
                part.write(block)
                if sink.size >= CHUNK:
                    yield sink.take()
            part.write(b"</sheetData>")
            if layout is not None and layout.autofilter:
                last = f"{column_letter(len(header) - 1)}{layout.rows[0] + 1}"
                part.write(f'<autoFilter ref="A1:{last}"/>'.encode())
            part.write(b"</worksheet>")
    yield sink.take()


def _sheet_head(layout: SheetLayout | None) -> bytes:
    if layout is None:
        return _SHEET_HEAD
    parts = [_SHEET_HEAD.removesuffix(b"<sheetData>").decode()]
    if layout.frozen_header:
        parts.append(
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        )
    if layout.widths:
        parts.append(
            "<cols>"
            + "".join(
                f'<col min="{index}" max="{index}" width="{width}" customWidth="1"/>'
                for index, width in enumerate(layout.widths, start=1)
            )
            + "</cols>"
        )
    parts.append("<sheetData>")
    return "".join(parts).encode()


class _Sink:
    """A write-only file for ZipFile (not seekable, so it writes data descriptors) whose bytes are taken as they come."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts, self.size = [], 0
        return data


XML_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}
# Characters XML 1.0 cannot hold, written the way Excel reads them back (_xHHHH_).
XML_ESCAPES.update({code: f"_x{code:04X}_" for code in range(32) if code not in (9, 10, 13)})
_COLUMNS: list[str] = []


def column_letter(index: int) -> str:
    while len(_COLUMNS) <= index:
        number, name = len(_COLUMNS) + 1, ""
        while number:
            number, rest = divmod(number - 1, 26)
            name = chr(65 + rest) + name
        _COLUMNS.append(name)
    return _COLUMNS[index]


def xlsx_row(number: int | None, values: Iterable, style: str = "") -> str:
    """A <row> of cells; with no ``number`` none has an r attribute, and an empty cell before a value is <c/>."""
    cells = []
    gap = ""
    for index, value in enumerate(values):
        if value is None or value == "":
            if number is None:
                gap += "<c/>"
            continue
        start = f'<c r="{column_letter(index)}{number}"' if number is not None else gap + "<c"
        gap = ""
        if type(value) is ExcelDateTime:
            cells.append(f"{start}{DATE_STYLE}><v>{value}</v></c>")
            continue
        if value is True or value is False:
            cells.append(f'{start}{style} t="b"><v>{int(value)}</v></c>')
            continue
        if isinstance(value, (int, float)) and value == value and value not in (float("inf"), float("-inf")):
            cells.append(f"{start}{style}><v>{value!r}</v></c>")
            continue
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        if style == "":
            text = safe_cell(text)
        text = text[:32767].translate(XML_ESCAPES)
        space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        cells.append(f'{start}{style} t="inlineStr"><is><t{space}>{text}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>' if number is not None else f"<row>{''.join(cells)}</row>"


_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetData>'
)


def _xlsx_parts(sheet: str) -> dict[str, str]:
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    name = escape(sheet[:31], {'"': "&quot;"})
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    return {
        "[Content_Types].xml": head
        + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
        ),
        "_rels/.rels": head
        + (
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{rels}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": head
        + (
            f'<workbook xmlns="{main}" xmlns:r="{rels}"><sheets>'
            f'<sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": head
        + (
            f'<Relationships xmlns="{package}">'
            f'<Relationship Id="rId1" Type="{rels}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rels}/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": head
        + (
            f'<styleSheet xmlns="{main}">'
            '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
        ),
    }
