"""Change lists: what students changed in the portal, for a date range or since the official's last
download, as CSV, XLSX or SEVIS batch XML (rule 9). Rows stream; memory stays flat."""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Text, case, func, select, type_coerce
from sqlalchemy.orm import Session, selectinload

from portal.models import ChangeListDownload, Employer, Event, School, Student, utcnow
from portal.models.base import JSONType
from portal.models.enums import ChangeKind, ExportFormat
from portal.services.actors import Actor
from portal.services.errors import InvalidValue, NotAllowed, RuleBroken
from portal.services.events import changes_text, record_event
from portal.services.exports import csv_chunks, xlsx_chunks
from portal.services.exports_postgresql import csv_copy_chunks, xlsx_copy_chunks

EASTERN = ZoneInfo("America/New_York")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
BATCH = 500
ROW_BATCH = 5000  # plain rows per fetch from the server-side cursor (CSV/XLSX lists)
MAX_RECORDS_PER_FILE = 250  # SEVIS accepts at most 250 students per batch file
CHUNK = 64 * 1024

HEADER = ["Changed at (Eastern)", "SEVIS ID", "Surname", "Given name", "What", "Change", "Reported late", "By",
          "Changes (before -> after)"]  # fmt: skip


@dataclass(frozen=True)
class ChangeRange:
    """Which changes a list covers: [covers_from, covers_until) in UTC, and which kinds."""

    covers_from: datetime
    covers_until: datetime
    kinds: tuple[ChangeKind, ...]
    since_last_download: bool = False


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=EASTERN).astimezone(UTC)


def parse_kinds(raw: list[str]) -> tuple[ChangeKind, ...]:
    """The chosen kinds (all when none is chosen); refuses an unknown kind."""
    kinds = []
    for value in raw:
        try:
            kinds.append(ChangeKind(value))
        except ValueError:
            raise InvalidValue("Choose kinds of change from the list.", field="kinds") from None
    return tuple(sorted(set(kinds), key=list(ChangeKind).index)) or tuple(ChangeKind)


def last_download(session: Session, user_id: int) -> ChangeListDownload | None:
    return session.scalar(select(ChangeListDownload).where(ChangeListDownload.user_id == user_id)
                          .order_by(ChangeListDownload.downloaded_at.desc(), ChangeListDownload.id.desc()).limit(1))  # fmt: skip


def resolve_range(session: Session, actor: Actor, *, start: date | None, end: date | None, since_last: bool,
                  kinds: tuple[ChangeKind, ...], now: datetime | None = None) -> ChangeRange:  # fmt: skip
    """The range a download covers: since this official's last download (or the beginning), or whole Eastern days.

    Refuses an inverted range, a missing date and an end in the future.
    """
    now = now or utcnow()
    if since_last:
        previous = last_download(session, actor.user_id)
        start_at = previous.covers_until if previous is not None else EPOCH
        return ChangeRange(start_at, max(now, start_at), kinds, since_last_download=True)
    if start is None or end is None:
        raise RuleBroken("Enter both dates, or choose 'since my last download'.", field="start")
    if end < start:
        raise RuleBroken(f"The end date ({end:%m/%d/%Y}) is before the start date ({start:%m/%d/%Y}). "
                         "Swap them and try again.", field="end")  # fmt: skip
    return ChangeRange(_day_start(start), min(_day_start(end + timedelta(days=1)), max(now, _day_start(start))), kinds)


def _conditions(school_id: int, change_range: ChangeRange) -> list:
    return [Event.school_id == school_id, Event.change_kind.in_(change_range.kinds),
            Event.occurred_at >= change_range.covers_from, Event.occurred_at < change_range.covers_until]  # fmt: skip


def count_changes(session: Session, school_id: int, change_range: ChangeRange) -> int:
    return session.scalar(select(func.count()).select_from(Event).where(*_conditions(school_id, change_range)))


def record_download(session: Session, actor: Actor, *, fmt: ExportFormat, change_range: ChangeRange,
                    row_count: int) -> ChangeListDownload:  # fmt: skip
    """Keep the download (it moves 'since my last download') and write its event; refuses anyone but an official."""
    if not actor.is_school_official:
        raise NotAllowed("Only school officials download change lists.")
    download = ChangeListDownload(
        user_id=actor.user_id, school_id=actor.school_id, format=fmt,
        kinds=",".join(kind.value for kind in change_range.kinds), covers_from=change_range.covers_from,
        covers_until=change_range.covers_until, since_last_download=change_range.since_last_download,
        row_count=row_count,
    )  # fmt: skip
    session.add(download)
    session.flush()
    record_event(session, actor, "change_list.downloaded", school_id=actor.school_id, subject=f"change_list:{download.id}",
                 after={"format": fmt, "kinds": download.kinds, "from": change_range.covers_from,
                        "until": change_range.covers_until, "since_last_download": change_range.since_last_download,
                        "rows": row_count})  # fmt: skip
    return download


def change_rows(session: Session, school_id: int, change_range: ChangeRange) -> Iterator[list]:
    """The rows of the CSV and XLSX lists: plain columns streamed from a server-side cursor, no objects per row."""
    # occurred_at without the UTC-aware type's per-row conversion: only its minute's label is needed, made below.
    occurred_at = type_coerce(Event.occurred_at, DateTime())
    # before and after only for a change recorded without its text (before migration 0010)
    before, after = (type_coerce(case((Event.changes.is_(None), column)), JSONType)
                     for column in (Event.before, Event.after))  # fmt: skip
    statement = (select(occurred_at, Student.sevis_id, Student.surname, Student.given_name, Event.change_kind,
                        Event.event_type, Event.reported_late, Event.actor_label, Event.changes, before, after)
                 .join(Student, Student.id == Event.student_id).where(*_conditions(school_id, change_range))
                 .order_by(Event.occurred_at, Event.id).execution_options(yield_per=ROW_BATCH))  # fmt: skip
    labels: dict = {}  # the Eastern label per minute: one timezone conversion per distinct minute, not per row
    for partition in session.execute(statement).partitions():
        for occurred_at, sevis_id, surname, given_name, kind, event_type, late, actor, changes, before, after in (
                partition):  # fmt: skip
            minute = occurred_at.replace(second=0, microsecond=0)
            label = labels.get(minute)
            if label is None:
                if len(labels) > 10_000:
                    labels.clear()
                aware = occurred_at if occurred_at.tzinfo else occurred_at.replace(tzinfo=UTC)  # SQLite: naive UTC
                label = labels[minute] = aware.astimezone(EASTERN).strftime("%Y-%m-%d %H:%M %Z")
            yield [label, sevis_id, surname, given_name, kind.value if kind else "", event_type, "yes" if late else "",
                   actor, changes_text(before, after) if changes is None else changes]  # fmt: skip


def change_list_csv(session: Session, school_id: int, change_range: ChangeRange) -> Iterator[bytes]:
    """The change list as CSV chunks: formatted by PostgreSQL and streamed with COPY there, else row by row."""
    if session.get_bind().dialect.name != "postgresql":
        return (chunk.encode() for chunk in csv_chunks(HEADER, change_rows(session, school_id, change_range)))
    return csv_copy_chunks(session, HEADER, _change_cells(school_id, change_range), **_LAYOUT)


def change_list_xlsx(session: Session, school_id: int, change_range: ChangeRange) -> Iterator[bytes]:
    """The change list as XLSX chunks, as ``change_list_csv``."""
    if session.get_bind().dialect.name != "postgresql":
        return xlsx_chunks(HEADER, change_rows(session, school_id, change_range), sheet="Changes")
    return xlsx_copy_chunks(session, HEADER, _change_cells(school_id, change_range), sheet="Changes", **_LAYOUT)


_CELLS = [f"cell{index}" for index in range(len(HEADER))]


def _fallback_row(payload: list) -> list:
    label, sevis_id, surname, given_name, kind, event_type, late, actor, before, after = payload
    return [label, sevis_id, surname, given_name, kind or "", event_type, "yes" if late else "", actor,
            changes_text(before, after)]  # fmt: skip


_LAYOUT = {
    "columns": _CELLS, "order": ["occurred_at", "id"], "fallback": _fallback_row,
    # The time (to_char), the SEVIS ID and the kind (both checked by the database) and 'yes' need no escaping.
    "plain": frozenset({"cell0", "cell1", "cell4", "cell6"}),
    "settings": {"TimeZone": "America/New_York"},  # to_char()'s TZ is the session zone's: EST or EDT, as zoneinfo's
}  # fmt: skip


def _change_cells(school_id: int, change_range: ChangeRange):
    """``change_rows`` in SQL (PostgreSQL): row_number (from 2), the cells as text and, for a change recorded
    without its text, a fallback payload from which ``_fallback_row`` makes the row in Python."""
    label = func.to_char(Event.occurred_at, "YYYY-MM-DD HH24:MI TZ")
    payload = func.jsonb_build_array(label, Student.sevis_id, Student.surname, Student.given_name, Event.change_kind,
                                     Event.event_type, Event.reported_late, Event.actor_label, Event.before,
                                     Event.after)  # fmt: skip
    values = [label, Student.sevis_id, Student.surname, Student.given_name, Event.change_kind, Event.event_type,
              case((Event.reported_late, "yes")), Event.actor_label, Event.changes]  # fmt: skip
    return (select((func.row_number().over(order_by=(Event.occurred_at, Event.id)) + 1).label("row_number"),
                   *[value.label(name) for value, name in zip(values, _CELLS, strict=True)],
                   case((Event.changes.is_(None), payload.cast(Text))).label("fallback"), Event.occurred_at, Event.id)
            .join(Student, Student.id == Event.student_id).where(*_conditions(school_id, change_range))
            .order_by(Event.occurred_at, Event.id))  # fmt: skip


# --- SEVIS batch XML (Create-UpdateStudent.xsd) -------------------------------------------------

XML_EVENT_TYPES = ("employer.added", "employer.restored", "employer.updated", "address.physical_changed",
                   "address.mailing_changed")  # fmt: skip


def _el(name: str, value) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def _address_xml(values: dict, prefix: str = "") -> str:
    get = lambda key: values.get(prefix + key) if prefix + key in values else values.get(key)  # noqa: E731
    parts = [_el("Address1", get("line1"))]
    if get("line2"):
        parts.append(_el("Address2", get("line2")))
    parts += [_el("City", get("city")), _el("State", get("state")), _el("PostalCode", get("postal_code"))]
    return "".join(parts)


def _employer_address(values: dict) -> str:
    parts = [_el("Address1", values["address_line1"])]
    if values.get("address_line2"):
        parts.append(_el("Address2", values["address_line2"]))
    parts += [_el("City", values["city"]), _el("State", values["state"]), _el("PostalCode", values["postal_code"])]
    return "".join(parts)


_EMPLOYMENT_TIME = {"full_time": "01", "part_time": "02"}
_OPTIONAL_TAIL = (("supervisor_first_name", "SupervisorFirstName"), ("supervisor_last_name", "SupervisorLastName"),
                  ("supervisor_phone", "SupervisorPhone"), ("supervisor_phone_ext", "SupervisorPhoneExt"),
                  ("supervisor_email", "SupervisorEmail"), ("job_title", "StudentsJobTitle"))  # fmt: skip


def _employer_xml(values: dict, *, full: bool) -> str:
    """An Employer (full) or UpdateEmployerType (only the fields present) in the schema's order."""
    parts = []
    if values.get("name"):
        parts.append(_el("EmployerName", values["name"]))
    if full or "address_line1" in values:
        if values.get("address_line1"):
            parts.append(f"<EmployerAddress>{_employer_address(values)}</EmployerAddress>")
    if values.get("ein"):
        parts.append(_el("EmployerEIN", values["ein"]))
    if "self_employed" in values and values["self_employed"] is not None:
        parts.append(_el("SelfEmployed", "Y" if values["self_employed"] else "N"))
    if values.get("course_relevance"):
        parts.append(_el("CourseRelevance", values["course_relevance"]))
    if values.get("employment_time"):
        parts.append(_el("FullPartTimeIndicator", _EMPLOYMENT_TIME[values["employment_time"]]))
    if values.get("start_date"):
        parts.append(_el("StartDate", values["start_date"]))
    if values.get("end_date"):
        parts.append(_el("EndDate", values["end_date"]))
    for key, tag in _OPTIONAL_TAIL:
        if values.get(key):
            parts.append(_el(tag, values[key]))
    return "".join(parts)


def _employment_identifier(employer: Employer | None) -> str | None:
    opt = employer.opt_authorization if employer is not None else None
    if opt is None:
        return None
    return f"<EmploymentIdentifier>{_el('StartDate', opt.start_date)}{_el('EndDate', opt.end_date)}</EmploymentIdentifier>"


def _record_body(event: Event, employer: Employer | None) -> str | None:
    """The update one event stands for, or None when SEVIS batch has no such update (a delete, a review)."""
    if event.event_type in ("employer.added", "employer.restored"):
        identifier = _employment_identifier(employer)
        if identifier is None or not event.after:
            return None
        return f'<OPTEmployer><Add printForm="false">{identifier}<Employer>{_employer_xml(event.after, full=True)}</Employer></Add></OPTEmployer>'
    if event.event_type == "employer.updated":
        identifier = _employment_identifier(employer)
        if identifier is None or not event.after:
            return None
        before = event.before or {}
        original_start = before.get("start_date") or event.after.get("start_date") or employer.start_date.isoformat()
        changed = {key: value for key, value in event.after.items() if key not in ("id", "reported_late", "review_status")}
        if set(changed) <= {"name"} and changed.get("name") == before.get("name"):
            return None
        if any(key.startswith("address") or key in ("city", "state", "postal_code") for key in changed):
            changed.update({key: getattr(employer, key) for key in ("address_line1", "address_line2", "city", "state",
                                                                     "postal_code")})  # fmt: skip
        if changed.get("name") == before.get("name"):
            changed.pop("name", None)
        identity = f"<EmployerIdentifier>{_el('EmployerName', before.get('name') or employer.name)}{_el('StartDate', original_start)}</EmployerIdentifier>"
        return f'<OPTEmployer><Edit printForm="false">{identifier}{identity}<Employer>{_employer_xml(changed, full=False)}</Employer></Edit></OPTEmployer>'
    if event.event_type in ("address.physical_changed", "address.mailing_changed") and event.after:
        tag = "USAddress" if event.event_type == "address.physical_changed" else "MailingAddress"
        return f'<PersonalInfo printForm="false"><{tag}>{_address_xml(event.after)}</{tag}></PersonalInfo>'
    return None


def _employers_for(session: Session, events: list[Event]) -> dict[int, Employer]:
    ids = [int(event.subject.split(":", 1)[1]) for event in events
           if event.subject and event.subject.startswith("employer:") and event.subject.split(":", 1)[1].isdigit()]  # fmt: skip
    if not ids:
        return {}
    rows = session.scalars(select(Employer).where(Employer.id.in_(ids)).options(selectinload(Employer.opt_authorization)))
    return {employer.id: employer for employer in rows}


def xml_records(session: Session, school_id: int, change_range: ChangeRange, *, user_id: str) -> Iterator[str]:
    """One UpdateStudent/Student element per change SEVIS batch can carry, oldest first."""
    range_xml = ChangeRange(change_range.covers_from, change_range.covers_until,
                            tuple(kind for kind in change_range.kinds if kind in (ChangeKind.EMPLOYER, ChangeKind.ADDRESS)),
                            change_range.since_last_download)  # fmt: skip
    if not range_xml.kinds:
        return
    statement = (select(Event, Student.sevis_id).join(Student, Student.id == Event.student_id)
                 .where(*_conditions(school_id, range_xml), Event.event_type.in_(XML_EVENT_TYPES))
                 .order_by(Event.occurred_at, Event.id).execution_options(yield_per=BATCH))  # fmt: skip
    for partition in session.execute(statement).partitions():
        employers = _employers_for(session, [event for event, _ in partition])
        for event, sevis_id in partition:
            employer_id = int(event.subject.split(":", 1)[1]) if (event.subject or "").startswith("employer:") else None
            body = _record_body(event, employers.get(employer_id))
            if body is not None:
                yield (f"<Student sevisID={quoteattr(sevis_id)} requestID={quoteattr(f'E{event.id}')} "
                       f"userID={quoteattr(user_id)}>{body}</Student>")  # fmt: skip


def sevis_user_id(actor: Actor) -> str:
    """The 10-character userID the batch carries: the official's portal id, zero-padded."""
    return f"{actor.user_id or 0:010d}"[-10:]


def batch_id(download_id: int, part: int) -> str:
    """A unique 14-character BatchID: OPT, the download number, the file number."""
    return f"OPT{download_id % 10**9:09d}{part % 100:02d}"


def _file_head(school: School, user_id: str, download_id: int, part: int) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<SEVISBatchCreateUpdateStudent userID={quoteattr(user_id)}>'
            f"<BatchHeader>{_el('BatchID', batch_id(download_id, part))}{_el('OrgID', school.code)}</BatchHeader>"
            "<UpdateStudent>")  # fmt: skip


_FILE_TAIL = "</UpdateStudent></SEVISBatchCreateUpdateStudent>\n"


def xml_files(records: Iterator[str], *, school: School, user_id: str, download_id: int) -> Iterator[tuple[int, Iterator[str]]]:
    """Split records into batch files of at most 250 students each; yields (file number, text chunks)."""
    records = iter(records)
    part = 0
    pending = next(records, None)
    if pending is None:
        return
    while pending is not None:
        part += 1

        def one_file(first: str, part: int = part) -> Iterator[str]:
            nonlocal pending
            yield _file_head(school, user_id, download_id, part)
            yield first
            count = 1
            pending = None
            for record in records:
                if count == MAX_RECORDS_PER_FILE:
                    pending = record
                    break
                yield record
                count += 1
            yield _FILE_TAIL

        yield part, one_file(pending)


def count_xml_records(session: Session, school_id: int, change_range: ChangeRange) -> int:
    """An upper bound of the XML records (events of the kinds SEVIS batch can carry), in one statement."""
    return session.scalar(select(func.count()).select_from(Event).where(
        *_conditions(school_id, change_range), Event.event_type.in_(XML_EVENT_TYPES)))  # fmt: skip


def xml_single(records: Iterator[str], *, school: School, user_id: str, download_id: int) -> Iterator[bytes]:
    """One batch file (for at most 250 records); an empty UpdateStudent is not allowed, so none means no file."""
    for _, chunks in xml_files(records, school=school, user_id=user_id, download_id=download_id):
        for chunk in chunks:
            yield chunk.encode("utf-8")


def xml_zip(records: Iterator[str], *, school: School, user_id: str, download_id: int) -> Iterator[bytes]:
    """Several batch files in a zip, written to a temporary file entry by entry and then streamed."""
    handle, path = tempfile.mkstemp(suffix=".zip")
    os.close(handle)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for part, chunks in xml_files(records, school=school, user_id=user_id, download_id=download_id):
                with archive.open(f"sevis-batch-{part:03d}.xml", "w") as entry:
                    for chunk in chunks:
                        entry.write(chunk.encode("utf-8"))
        with open(path, "rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)
