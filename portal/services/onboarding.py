"""Bulk onboarding: a DSO's CSV of students, checked row by row (dry run), then applied in small steps.

The apply step runs a chunk of rows per call (the page polls with htmx; without JavaScript a
Continue button does the same), so no request runs long and progress is visible. The job's state
lives in a JSON file under UPLOAD_DIR/onboarding, named by an unguessable id and bound to one school.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import re
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import School, Student
from portal.models.enums import EducationLevel, OptKind
from portal.services.actors import Actor
from portal.services.errors import DomainError, InvalidValue, NotFound
from portal.services.labels import field_label, label
from portal.services.students import (
    create_student,
    normalize_email,
    normalize_sevis_id,
    open_program_record,
    request_opt,
)

COLUMNS = (
    "sevis_id",
    "surname",
    "given_name",
    "email",
    "education_level",
    "program_start",
    "program_end",
    "major",
    "opt_kind",
    "opt_start",
    "opt_end",
)
REQUIRED = ("sevis_id", "surname", "email", "education_level", "program_start", "program_end")
OPT_COLUMNS = ("opt_kind", "opt_start", "opt_end")
MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
CHUNK = 25
REPORT_COLUMNS = ("line", "sevis_id", "result", "message")
_E = TypeVar("_E", bound=Enum)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# What the csv module (strict) refuses, in words a DSO can act on; anything else gets the last, general words.
_CSV_PROBLEMS = (
    ("unexpected end of data", 'a quote (") opens a value there and is never closed. Close the quote or remove it.'),
    ("expected after", 'a value has text after its closing quote ("). Quote the whole value, or remove the quotes.'),
    ("field larger than field limit", 'a value there is too long, usually because a quote (") is never closed.'),
    ("", "it is not in CSV form. In your spreadsheet choose Save As, CSV UTF-8."),
)


@dataclass
class CsvRow:
    line: int  # the line of the file the row starts on, as a text editor numbers them: the header is line 1, a
    # blank line counts and a value written over two lines takes two (a spreadsheet numbers its rows the same
    # way until a value spans lines)
    values: dict


@dataclass
class RowCheck(CsvRow):
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_csv(data: bytes) -> list[CsvRow]:
    """The rows of an onboarding CSV; refuses an oversized, non-UTF-8, malformed or wrongly headed file."""
    if len(data) > MAX_BYTES:
        raise InvalidValue(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidValue(
            "The file is not UTF-8. In your spreadsheet choose Save As, CSV UTF-8.", field="file"
        ) from None
    if "\x00" in text:
        number = next(n for n, physical in enumerate(io.StringIO(text, newline=""), start=1) if "\x00" in physical)
        raise InvalidValue(
            f"The file is not a CSV text file: line {number} holds a NUL character. "
            "In your spreadsheet choose Save As, CSV UTF-8.",
            field="file",
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    # The line the record being read starts on: after an error, the reader's line_num is past it (a quote never
    # closed runs to the end of the file), so it is noted before each record.
    line = 1
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise InvalidValue(
                "The first line must name the columns, typed as shown in quotes; missing: "
                + ", ".join(f'"{name}" ({field_label(name)})' for name in missing)
                + ". The columns are "
                + ", ".join(f'"{name}"' for name in COLUMNS)
                + ".",
                field="file",
            )
        rows = []
        line = reader.line_num + 1
        for record in reader:
            if record:  # a blank line is skipped
                if len(rows) >= MAX_ROWS:
                    raise InvalidValue(f"At most {MAX_ROWS} students per file; split it.", field="file")
                values = record + [""] * (len(header) - len(record))  # cells past the header are dropped
                cells = zip(header, values, strict=False)
                rows.append(CsvRow(line, {name: value.strip() for name, value in cells if name in COLUMNS}))
            line = reader.line_num + 1
    except csv.Error as error:
        problem = next(words for start, words in _CSV_PROBLEMS if start in str(error))
        raise InvalidValue(f"Line {line} of the file cannot be read: {problem}", field="file") from None
    if not rows:
        raise InvalidValue("The file has a header but no students.", field="file")
    return rows


def _date(row: dict, name: str, errors: list[str]) -> date | None:
    """Column ``name`` as a date; None, with a message naming the column in words, when it is empty or not a date."""
    value = row.get(name) or ""
    if _ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass  # the shape of a date but no day of the calendar: 2025-13-01, 2025-02-30
    if value:
        errors.append(f"{field_label(name)}: {value[:20]} is not a date; use YYYY-MM-DD.")
    else:
        errors.append(f"{field_label(name)}: required; use YYYY-MM-DD.")
    return None


def _choices(enum: type[Enum]) -> str:
    """The values a column takes, each as typed in quotes beside its words: "stem" (STEM OPT)."""
    choices = [f'"{member.value}" ({label(member)})' for member in enum]
    if len(choices) == 2:
        return " or ".join(choices)
    return "one of " + ", ".join(choices[:-1]) + " or " + choices[-1]


def _choice(row: dict, name: str, enum: type[_E], errors: list[str]) -> _E | None:
    """Column ``name`` as a member of ``enum``; None, with a message giving the values to type, when it is not one."""
    value = row.get(name) or ""
    try:
        return enum(value)
    except ValueError:
        said = f"{value[:20]} is not one of the choices" if value else "required"
        errors.append(f"{field_label(name)}: {said}; use {_choices(enum)}.")
        return None


def _parse(row: dict, errors: list[str]) -> tuple:
    """The row's level, program dates and, if any OPT column is filled in, its OPT (kind, start, end); every value
    that does not parse, and every end before its start, as a message in ``errors``."""
    level = _choice(row, "education_level", EducationLevel, errors)
    start, end = _date(row, "program_start", errors), _date(row, "program_end", errors)
    if start and end and end < start:
        errors.append(f"{field_label('program_end')}: must be on or after the program start date.")
    opt = None
    if any(row.get(name) for name in OPT_COLUMNS):
        kind = _choice(row, "opt_kind", OptKind, errors)
        opt_start, opt_end = _date(row, "opt_start", errors), _date(row, "opt_end", errors)
        if opt_start and opt_end and opt_end < opt_start:
            errors.append(f"{field_label('opt_end')}: must be on or after the OPT start date.")
        opt = (kind, opt_start, opt_end)
    return level, start, end, opt


def check_rows(session: Session, school: School, rows: list[CsvRow]) -> list[RowCheck]:
    """Every row's problems, without writing anything: bad fields, a SEVIS ID repeated in the file or already on file."""
    checks: list[RowCheck] = []
    seen: dict[str, int] = {}
    for csv_row in rows:
        row = csv_row.values
        check = RowCheck(line=csv_row.line, values=row)
        for name in ("sevis_id", "surname", "email"):  # the other required columns are parsed below
            if not row.get(name):
                check.errors.append(f"{field_label(name)}: required.")
        for name, normalize in (("sevis_id", normalize_sevis_id), ("email", normalize_email)):
            if row.get(name):
                try:
                    row[name] = normalize(row[name])
                except DomainError as error:
                    check.errors.append(f"{field_label(name)}: {error.message}")
        if any(ord(char) < 32 for value in row.values() for char in value):
            check.errors.append(
                "A value is written over more than one line or holds a control character; keep each on one line."
            )
        if len(row.get("surname", "")) > 40 or len(row.get("given_name", "")) > 40:
            check.errors.append("Names are at most 40 characters.")
        _parse(row, check.errors)
        sevis_id = row.get("sevis_id")
        if sevis_id and not check.errors:
            if sevis_id in seen:
                check.errors.append(f"{field_label('sevis_id')}: already on line {seen[sevis_id]} of the file.")
            seen.setdefault(sevis_id, check.line)
        checks.append(check)
    ids = [c.values["sevis_id"] for c in checks if c.ok]
    existing = set(session.scalars(select(Student.sevis_id).where(Student.sevis_id.in_(ids)))) if ids else set()
    for check in checks:
        if check.ok and check.values["sevis_id"] in existing:
            check.errors.append(f"{field_label('sevis_id')}: a student with this SEVIS ID is already on file.")
    return checks


def onboard_row(session: Session, school: School, row: dict, *, actor: Actor) -> Student:
    """Create one student with a program record and, if given, a pending OPT request; refuses, in the dry run's
    words, a value that does not parse, and whatever the services refuse."""
    errors: list[str] = []
    level, program_start, program_end, opt = _parse(row, errors)
    if errors:
        raise InvalidValue(" ".join(errors))
    student = create_student(
        session,
        actor,
        school=school,
        sevis_id=row.get("sevis_id", ""),
        surname=row.get("surname", ""),
        given_name=row.get("given_name", ""),
        email=row.get("email", ""),
    )
    program = open_program_record(
        session,
        actor,
        student,
        education_level=level,
        start_date=program_start,
        end_date=program_end,
        major=row.get("major", "")[:120],
    )
    if opt is not None:
        kind, start, end = opt
        request_opt(session, actor, program, kind=kind, start_date=start, end_date=end)
    return student


# --- Jobs ------------------------------------------------------------------------------------------------


def _job_dir(upload_dir: str) -> Path:
    path = Path(upload_dir) / "onboarding"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _job_path(upload_dir: str, job_id: str) -> Path:
    if not (len(job_id) == 32 and all(char in "0123456789abcdef" for char in job_id)):
        raise NotFound("No such onboarding job.")
    return _job_dir(upload_dir) / f"{job_id}.json"


def start_job(upload_dir: str, school: School, rows: list[CsvRow], *, user_id: int) -> str:
    """Save the checked rows, each with its line of the file, as a job for this school; returns its id."""
    job_id = secrets.token_hex(16)
    kept = [{"line": row.line, "values": row.values} for row in rows]
    state = {"school_id": school.id, "user_id": user_id, "rows": kept, "position": 0, "results": []}
    _job_path(upload_dir, job_id).write_text(json.dumps(state))
    return job_id


def load_job(upload_dir: str, job_id: str, school_id: int) -> dict:
    """The job's state; NotFound for an unknown id or another school's job."""
    path = _job_path(upload_dir, job_id)
    if not path.is_file():
        raise NotFound("No such onboarding job.")
    state = json.loads(path.read_text())
    if state["school_id"] != school_id:
        raise NotFound("No such onboarding job.")
    return state


@contextmanager
def job_lock(upload_dir: str, job_id: str):
    """Hold the job's lock, so two polls never apply the same rows."""
    _job_path(upload_dir, job_id)
    with open(_job_dir(upload_dir) / f"{job_id}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def save_job(upload_dir: str, job_id: str, state: dict) -> None:
    path = _job_path(upload_dir, job_id)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state))
    temporary.replace(path)


def apply_next_rows(session: Session, state: dict, school: School, *, actor: Actor) -> dict:
    """Apply the job's next chunk of rows, each in its own savepoint; returns the new state (the caller commits, then saves it)."""
    rows = state["rows"]
    start, stop = state["position"], min(state["position"] + CHUNK, len(rows))
    results = list(state["results"])
    for index in range(start, stop):
        kept = rows[index]
        # A job saved before rows kept their line holds the bare values: its rows are numbered by position.
        line, row = (kept["line"], kept["values"]) if "values" in kept else (index + 2, kept)
        try:
            with session.begin_nested():
                onboard_row(session, school, row, actor=actor)
            results.append({"line": line, "sevis_id": row.get("sevis_id"), "result": "created", "message": ""})
        except DomainError as error:
            results.append(
                {"line": line, "sevis_id": row.get("sevis_id"), "result": "not created", "message": error.message}
            )
    return {**state, "position": stop, "results": results}


def report_csv(state: dict) -> str:
    """What the job did, one line per row, as CSV (formula-looking values are neutralised)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([field_label(key) for key in REPORT_COLUMNS])
    for result in state["results"]:
        writer.writerow([_safe_cell(str(result[key] or "")) for key in REPORT_COLUMNS])
    return out.getvalue()


def _safe_cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
