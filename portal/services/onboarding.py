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
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import School, Student
from portal.models.enums import EducationLevel, OptKind
from portal.services.actors import Actor
from portal.services.errors import DomainError, InvalidValue, NotFound
from portal.services.labels import field_label
from portal.services.students import (
    check_date_range,
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
MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
CHUNK = 25
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# What the csv module (strict) refuses, in words a DSO can act on; anything else gets the last, general words.
_CSV_PROBLEMS = (
    ("unexpected end of data", 'a quote (") opens a value there and is never closed. Close the quote or remove it.'),
    ("expected after", 'a value has text after its closing quote ("). Quote the whole value, or remove the quotes.'),
    ("field larger than field limit", 'a value there is too long, usually because a quote (") is never closed.'),
    ("", "it is not in CSV form. In your spreadsheet choose Save As, CSV UTF-8."),
)


@dataclass
class RowCheck:
    number: int  # the line in the file (header is line 1)
    values: dict
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_csv(data: bytes) -> list[dict]:
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
                f"The first line must name the columns; missing: {', '.join(missing)}. Columns: {', '.join(COLUMNS)}.",
                field="file",
            )
        rows = []
        line = reader.line_num + 1
        for record in reader:
            if record:  # a blank line is skipped
                if len(rows) >= MAX_ROWS:
                    raise InvalidValue(f"At most {MAX_ROWS} students per file; split it.", field="file")
                values = record + [""] * (len(header) - len(record))  # cells past the header are dropped
                rows.append(
                    {name: value.strip() for name, value in zip(header, values, strict=False) if name in COLUMNS}
                )
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


def _education_level(row: dict, errors: list[str]) -> EducationLevel | None:
    try:
        return EducationLevel(row.get("education_level") or "")
    except ValueError:
        errors.append(f"education_level: one of {', '.join(level.value for level in EducationLevel)}.")
        return None


def _opt_kind(row: dict, errors: list[str]) -> OptKind | None:
    try:
        return OptKind(row.get("opt_kind") or "")
    except ValueError:
        errors.append("opt_kind: post_completion or stem.")
        return None


def check_rows(session: Session, school: School, rows: list[dict]) -> list[RowCheck]:
    """Every row's problems, without writing anything: bad fields, a SEVIS ID repeated in the file or already on file."""
    checks: list[RowCheck] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        check = RowCheck(number=number, values=row)
        for name in REQUIRED:
            if not row.get(name):
                check.errors.append(f"{name}: required.")
        for name, normalize in (("sevis_id", normalize_sevis_id), ("email", normalize_email)):
            if row.get(name):
                try:
                    row[name] = normalize(row[name])
                except DomainError as error:
                    check.errors.append(f"{name}: {error.message}")
        if any(ord(char) < 32 for value in row.values() for char in value):
            check.errors.append("A value holds control characters.")
        if len(row.get("surname", "")) > 40 or len(row.get("given_name", "")) > 40:
            check.errors.append("Names are at most 40 characters.")
        if row.get("education_level"):
            _education_level(row, check.errors)
        start = _date(row, "program_start", check.errors) if row.get("program_start") else None
        end = _date(row, "program_end", check.errors) if row.get("program_end") else None
        if start and end and end < start:
            check.errors.append("program_end: must be on or after program_start.")
        if any(row.get(name) for name in ("opt_kind", "opt_start", "opt_end")):
            _opt_kind(row, check.errors)
            opt_start = _date(row, "opt_start", check.errors)
            opt_end = _date(row, "opt_end", check.errors)
            if opt_start and opt_end and opt_end < opt_start:
                check.errors.append("opt_end: must be on or after opt_start.")
        sevis_id = row.get("sevis_id")
        if sevis_id and not check.errors:
            if sevis_id in seen:
                check.errors.append(f"sevis_id: already on line {seen[sevis_id]} of this file.")
            seen.setdefault(sevis_id, number)
        checks.append(check)
    ids = [c.values["sevis_id"] for c in checks if c.ok]
    existing = set(session.scalars(select(Student.sevis_id).where(Student.sevis_id.in_(ids)))) if ids else set()
    for check in checks:
        if check.ok and check.values["sevis_id"] in existing:
            check.errors.append("sevis_id: a student with this SEVIS ID is already on file.")
    return checks


def onboard_row(session: Session, school: School, row: dict, *, actor: Actor) -> Student:
    """Create one student with a program record and, if given, a pending OPT request; refuses, in the dry run's
    words, a value that does not parse, and whatever the services refuse."""
    errors: list[str] = []
    level = _education_level(row, errors)
    program_start, program_end = _date(row, "program_start", errors), _date(row, "program_end", errors)
    opt = None
    if row.get("opt_kind"):
        opt = (_opt_kind(row, errors), _date(row, "opt_start", errors), _date(row, "opt_end", errors))
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
        check_date_range(start, end)
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


def start_job(upload_dir: str, school: School, rows: list[dict], *, user_id: int) -> str:
    """Save the checked rows as a job for this school; returns its id."""
    job_id = secrets.token_hex(16)
    state = {"school_id": school.id, "user_id": user_id, "rows": rows, "position": 0, "results": []}
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
        row = rows[index]
        try:
            with session.begin_nested():
                onboard_row(session, school, row, actor=actor)
            results.append({"line": index + 2, "sevis_id": row.get("sevis_id"), "result": "created", "message": ""})
        except DomainError as error:
            results.append(
                {"line": index + 2, "sevis_id": row.get("sevis_id"), "result": "not created", "message": error.message}
            )
    return {**state, "position": stop, "results": results}


def report_csv(state: dict) -> str:
    """What the job did, one line per row, as CSV (formula-looking values are neutralised)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "sevis_id", "result", "message"])
    for result in state["results"]:
        writer.writerow([_safe_cell(str(result[key] or "")) for key in ("line", "sevis_id", "result", "message")])
    return out.getvalue()


def _safe_cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
