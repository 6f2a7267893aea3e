"""The SEVIS data feed (issue 6, point 5): tokens, parsing, per-record application, results.

A batch arrives as JSON lines or as SEVIS batch XML (SEVISBatchCreateUpdateStudent). A file that
breaks the schema is refused whole with the schema's reason; a valid file is judged record by record:
each record is applied in its own savepoint, so valid records apply even when others fail. The batch
id makes a re-sent batch a no-op. During a maintenance window records are queued and applied after
it, in arrival order, exactly once (rule 11). Every applied record writes "data received" and
"data transmitted to portal" events, so a DSO can see in the history whether data reached the portal.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import (
    Employer,
    FeedBatch,
    FeedToken,
    InboundFeedItem,
    OptAuthorization,
    ProgramRecord,
    School,
    Student,
    utcnow,
)  # fmt: skip
from portal.models.enums import AddressKind, EducationLevel, FeedItemStatus, OptKind, OptStatus, ProgramStatus
from portal.services.actors import Actor
from portal.services.errors import DomainError, InvalidValue, NotAllowed, NotFound, RuleBroken
from portal.services.events import record_event
from portal.services.feed_schema import MalformedLine, load_line, record_problem

# SEVIS batch schemas 6.31, copied from the published XSDs (see portal/schemas/sevis/README.md).
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas" / "sevis"
BATCH_ID_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
MAX_RECORDS = 5000

ACTIONS = (
    "CreateStudent", "OPTEmployment.Add", "OPTEmployment.Edit", "OPTEmployment.Cancel", "OPTEmployment.Extend",
    "OPTEmployer.Add", "OPTEmployer.Edit", "PersonalInfo.Email", "PersonalInfo.USAddress", "PersonalInfo.MailingAddress",
)  # fmt: skip


class FeedRefused(Exception):
    """The whole file is refused (schema, encoding, school); nothing was applied."""

    def __init__(self, reason: str, *, status: int = 422) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass
class FeedRecord:
    index: int
    action: str
    request_id: str
    sevis_id: str | None
    data: dict = field(default_factory=dict)
    problem: tuple[str, str] | None = None  # (field, reason) when the record has the wrong shape


@dataclass
class ParsedBatch:
    batch_id: str
    format: str
    org_id: str | None
    records: list[FeedRecord]


# --- Tokens -----------------------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _check_may_manage_tokens(actor: Actor, school: School) -> None:
    from portal.models.enums import Role

    if actor.role is Role.OPERATOR or actor.kind.value == "system" and actor.user_id is None:
        return
    if actor.role is Role.PRINCIPAL_DSO and actor.school_id == school.id:
        return
    raise NotAllowed("Only the school's principal DSO or an operator can manage data feed tokens.")


def create_feed_token(session: Session, school: School, *, name: str, actor: Actor) -> tuple[FeedToken, str]:
    """Create an API token for the school's feed; returns it with the raw value, shown once. Refuses others than the PDSO/operator."""
    _check_may_manage_tokens(actor, school)
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise InvalidValue("Name the token (at most 100 characters), for example the system that uses it.", field="name")
    raw = "optfeed_" + secrets.token_urlsafe(32)
    token = FeedToken(school_id=school.id, name=name, token_hash=hash_token(raw), created_by_user_id=actor.user_id)
    session.add(token)
    session.flush()
    return token, raw


def revoke_feed_token(session: Session, token: FeedToken, *, actor: Actor) -> FeedToken:
    """Revoke a token at once; refuses one already revoked."""
    _check_may_manage_tokens(actor, session.get(School, token.school_id))
    if token.revoked_at is not None:
        raise RuleBroken("This token was already revoked.")
    token.revoked_at = utcnow()
    session.flush()
    return token


def school_for_token(session: Session, raw: str | None) -> School | None:
    """The school whose live token this is, or None for a missing, wrong or revoked token."""
    if not raw or len(raw) > 200:
        return None
    token = session.scalar(select(FeedToken).where(FeedToken.token_hash == hash_token(raw), FeedToken.revoked_at.is_(None)))
    return session.get(School, token.school_id) if token is not None else None


# --- Parsing ----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def batch_schema():
    import xmlschema

    return xmlschema.XMLSchema(str(SCHEMA_DIR / "Create-UpdateStudent.xsd"))


@lru_cache(maxsize=1)
def translog_schema():
    import xmlschema

    return xmlschema.XMLSchema(str(SCHEMA_DIR / "SevisTransLog.xsd"))


def parse_batch(data: bytes) -> ParsedBatch:
    """Parse JSON lines or SEVIS batch XML; refuses (FeedRefused) an empty, non-UTF-8, malformed or schema-invalid file."""
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise FeedRefused("The file is empty.")
    if stripped.startswith(b"<"):
        return _parse_xml(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FeedRefused(f"The file is not UTF-8 text (byte {error.start} cannot be read). Save it as UTF-8.", status=400) from None
    return _parse_json_lines(text)


def _parse_json_lines(text: str) -> ParsedBatch:
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    objects = []
    for number, line in lines:
        try:
            value = load_line(line)
        except MalformedLine as error:
            raise FeedRefused(f"Line {number} is not valid JSON: {error}.", status=400) from None
        if not isinstance(value, dict):
            raise FeedRefused(f"Line {number} must be a JSON object.", status=400)
        objects.append((number, value))
    header_number, header = objects[0]
    batch_id = header.get("batch_id")
    batch_id = str(batch_id) if isinstance(batch_id, str | int) and not isinstance(batch_id, bool) else ""
    if "action" in header or not BATCH_ID_PATTERN.fullmatch(batch_id):
        raise FeedRefused('The first line must be the header, like {"batch_id": "2024031900001", "org_id": "..."}.')
    if not isinstance(header.get("org_id"), str | None):
        raise FeedRefused('The header\'s org_id must be text, like "TST214F00000001".')
    if len(objects) - 1 > MAX_RECORDS:
        raise FeedRefused(f"A batch holds at most {MAX_RECORDS} records; split the file.")
    records = []
    for index, (number, value) in enumerate(objects[1:], start=1):
        action = value.get("action")
        if action not in ACTIONS:
            raise FeedRefused(f"Line {number}: unknown action {str(action)[:60]!r}; expected one of {', '.join(ACTIONS)}.")
        problem = record_problem(action, value)
        if problem is not None:  # the wrong shape: this record alone is rejected, naming the field
            request_id, sevis_id = value.get("request_id"), value.get("sevis_id")
            records.append(FeedRecord(index=index, action=action, sevis_id=sevis_id if isinstance(sevis_id, str) else None,
                                      request_id=(request_id if isinstance(request_id, str) else str(index))[:20],
                                      problem=problem))  # fmt: skip
            continue
        records.append(FeedRecord(index=index, action=action, request_id=str(value.get("request_id") or index)[:20],
                                  sevis_id=value.get("sevis_id"), data=value.get("data") or {}))  # fmt: skip
    if not records:
        raise FeedRefused("The batch has a header but no records.")
    return ParsedBatch(batch_id=batch_id, format="jsonl", org_id=header.get("org_id"), records=records)


def _text(element, path: str) -> str | None:
    found = element.find(path) if element is not None else None
    return found.text.strip() if found is not None and found.text is not None else None


EMPLOYMENT_TIME = {"01": "full_time", "02": "part_time"}
EDUCATION_LEVELS = {"01": "associate", "02": "bachelors", "03": "masters", "04": "doctorate", "05": "language"}


def _employer_from_xml(element) -> dict:
    values = {
        "name": _text(element, "EmployerName"), "address_line1": _text(element, "EmployerAddress/Address1"),
        "address_line2": _text(element, "EmployerAddress/Address2"), "city": _text(element, "EmployerAddress/City"),
        "state": _text(element, "EmployerAddress/State"), "postal_code": _text(element, "EmployerAddress/PostalCode"),
        "ein": _text(element, "EmployerEIN"), "self_employed": _text(element, "SelfEmployed"),
        "course_relevance": _text(element, "CourseRelevance"),
        "employment_time": EMPLOYMENT_TIME.get(_text(element, "FullPartTimeIndicator") or ""),
        "start_date": _text(element, "StartDate"), "end_date": _text(element, "EndDate"),
        "supervisor_first_name": _text(element, "SupervisorFirstName"),
        "supervisor_last_name": _text(element, "SupervisorLastName"),
        "supervisor_phone": _text(element, "SupervisorPhone"), "supervisor_phone_ext": _text(element, "SupervisorPhoneExt"),
        "supervisor_email": _text(element, "SupervisorEmail"), "job_title": _text(element, "StudentsJobTitle"),
    }  # fmt: skip
    return {key: value for key, value in values.items() if value is not None}


def _address_from_xml(element) -> dict:
    return {"line1": _text(element, "Address1"), "line2": _text(element, "Address2") or "", "city": _text(element, "City"),
            "state": _text(element, "State"), "postal_code": _text(element, "PostalCode")}  # fmt: skip


def _update_records(student_element, base: dict) -> list[tuple[str, dict]]:
    """The portal's actions in one UpdateStudent/Student; other SEVIS updates are validated and ignored."""
    out: list[tuple[str, dict]] = []
    employment = student_element.find("OPTEmployment")
    if employment is not None:
        for verb in ("Add", "Edit", "Cancel", "Extend"):
            element = employment.find(verb)
            if element is None:
                continue
            data = {"start_date": _text(element, "StartDate"), "end_date": _text(element, "EndDate"),
                    "employers": [_employer_from_xml(e) for e in element.findall("Employer")]}  # fmt: skip
            if verb in ("Add", "Extend"):
                # The schema has no EAD date element: SEVIS's OPT dates are the authorization's (see _ead_dates).
                data["ead_start_date"], data["ead_end_date"] = data["start_date"], data["end_date"]
            out.append((f"OPTEmployment.{verb}", data))
    employer = student_element.find("OPTEmployer")
    if employer is not None:
        add, edit = employer.find("Add"), employer.find("Edit")
        if add is not None:
            out.append(("OPTEmployer.Add", {"employers": [_employer_from_xml(e) for e in add.findall("Employer")]}))
        if edit is not None:
            out.append(("OPTEmployer.Edit", {"employer_name": _text(edit, "EmployerIdentifier/EmployerName"),
                                             "employer_start_date": _text(edit, "EmployerIdentifier/StartDate"),
                                             "changes": _employer_from_xml(edit.find("Employer"))}))  # fmt: skip
    personal = student_element.find("PersonalInfo")
    if personal is not None:
        if _text(personal, "Email"):
            out.append(("PersonalInfo.Email", {"email": _text(personal, "Email")}))
        if personal.find("USAddress") is not None:
            out.append(("PersonalInfo.USAddress", _address_from_xml(personal.find("USAddress"))))
        if personal.find("MailingAddress") is not None:
            out.append(("PersonalInfo.MailingAddress", _address_from_xml(personal.find("MailingAddress"))))
    return out


def _parse_xml(data: bytes) -> ParsedBatch:
    import xmlschema

    try:
        resource = xmlschema.XMLResource(data, defuse="always", allow="none")
    except xmlschema.XMLResourceError as error:
        raise FeedRefused(f"The XML file is malformed or cannot be read: {error}"[:500], status=400) from None
    except Exception as error:  # noqa: BLE001  (ParseError, defused entities, encoding errors)
        raise FeedRefused(f"The XML file is malformed: {error}"[:500], status=400) from None
    error = next(batch_schema().iter_errors(resource), None)
    if error is not None:
        where = f" at {error.path}" if getattr(error, "path", None) else ""
        raise FeedRefused(f"The file does not match the SEVIS batch schema (Create-UpdateStudent.xsd){where}: "
                          f"{error.reason or error.message}"[:1000])  # fmt: skip
    root = resource.root
    records: list[FeedRecord] = []
    for student in root.findall("CreateStudent/Student"):
        sevis_id = _text(student, "UserDefinedA")
        records.append(FeedRecord(
            index=len(records) + 1, action="CreateStudent", request_id=student.get("requestID", ""), sevis_id=sevis_id,
            data={"surname": _text(student, "PersonalInfo/FullName/LastName"),
                  "given_name": _text(student, "PersonalInfo/FullName/FirstName") or "",
                  "email": _text(student, "PersonalInfo/Email"),
                  "education_level": EDUCATION_LEVELS.get(_text(student, "EducationalInfo/EduLevel/Level") or "", "other"),
                  "major": _text(student, "EducationalInfo/MajorCode1") or "",
                  "program_start": _text(student, "EducationalInfo/PrgStartDate"),
                  "program_end": _text(student, "EducationalInfo/PrgEndDate")},
        ))  # fmt: skip
    for student in root.findall("UpdateStudent/Student"):
        for action, values in _update_records(student, {}):
            records.append(FeedRecord(index=len(records) + 1, action=action, request_id=student.get("requestID", ""),
                                      sevis_id=student.get("sevisID"), data=values))  # fmt: skip
    return ParsedBatch(batch_id=_text(root, "BatchHeader/BatchID") or "", format="xml",
                       org_id=_text(root, "BatchHeader/OrgID"), records=records)  # fmt: skip


# --- Receiving and applying -------------------------------------------------------------------------


def _item_result(item: InboundFeedItem) -> dict:
    result = {"index": item.record_index, "action": item.action, "sevis_id": item.sevis_id, "status": item.status.value}
    result.update({key: value for key, value in (item.result or {}).items() if key in ("request_id", "field", "reason")})
    return result


def batch_result(session: Session, batch: FeedBatch, *, duplicate: bool = False) -> dict:
    """Per-record results of a batch as they stand now (queued records show as queued)."""
    items = session.scalars(select(InboundFeedItem).where(InboundFeedItem.batch_id == batch.id).order_by(InboundFeedItem.record_index)).all()
    records = [_item_result(item) for item in items]
    counts = {status.value: sum(1 for r in records if r["status"] == status.value) for status in FeedItemStatus}
    return {"batch_id": batch.batch_id, "format": batch.format, "received_at": batch.received_at.isoformat(),
            "duplicate": duplicate, "counts": counts, "records": records}  # fmt: skip


def receive_batch(session: Session, school: School, parsed: ParsedBatch) -> tuple[FeedBatch, dict]:
    """Store a batch's records and apply them now (or queue them during maintenance); a known batch id is a no-op."""
    from portal.services.maintenance import active_window

    if parsed.org_id and parsed.org_id != school.code:
        known = session.scalar(select(School.id).where(School.code == parsed.org_id))
        raise FeedRefused(f"The batch is for school {parsed.org_id}, "
                          + ("which is not the school of this token." if known else "which is not a school the portal knows."))  # fmt: skip
    existing = session.scalar(select(FeedBatch).where(FeedBatch.school_id == school.id, FeedBatch.batch_id == parsed.batch_id))
    if existing is not None:
        return existing, batch_result(session, existing, duplicate=True)
    batch = FeedBatch(school_id=school.id, batch_id=parsed.batch_id, format=parsed.format)
    session.add(batch)
    session.flush()
    for record in parsed.records:
        item = InboundFeedItem(
            batch_id=batch.id, record_index=record.index, sevis_id=(record.sevis_id or "")[:11] or None, action=record.action,
            payload=json.dumps({"request_id": record.request_id, "sevis_id": record.sevis_id, "data": record.data}),
            result={"request_id": record.request_id}, status=FeedItemStatus.QUEUED,
        )  # fmt: skip
        if record.problem is not None:
            item.status, item.applied_at = FeedItemStatus.REJECTED, utcnow()
            item.result = {"request_id": record.request_id, "field": record.problem[0], "reason": record.problem[1]}
        session.add(item)
    session.flush()
    if active_window(session) is None:
        apply_queued_items(session)
    result = batch_result(session, batch)
    batch.result = result["counts"]
    session.flush()
    return batch, result


def apply_queued_items(session: Session) -> int:
    """Apply every queued feed item in arrival order, exactly once; returns how many were handled."""
    query = select(InboundFeedItem).where(InboundFeedItem.status == FeedItemStatus.QUEUED).order_by(InboundFeedItem.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # a second worker waits, then finds them applied
    items = list(session.scalars(query))
    school_ids = dict(session.execute(select(FeedBatch.id, FeedBatch.school_id).where(
        FeedBatch.id.in_({item.batch_id for item in items}))).all()) if items else {}  # fmt: skip
    batch_ids = dict(session.execute(select(FeedBatch.id, FeedBatch.batch_id).where(
        FeedBatch.id.in_({item.batch_id for item in items}))).all()) if items else {}  # fmt: skip
    for item in items:
        _apply_item(session, item, school_ids[item.batch_id], batch_ids[item.batch_id])
    return len(items)


def _apply_item(session: Session, item: InboundFeedItem, school_id: int, batch_label: str) -> None:
    payload = json.loads(item.payload)
    actor = Actor.data_feed(school_id)
    base = {"request_id": payload.get("request_id")}
    try:
        with session.begin_nested():
            student = APPLIERS[item.action](session, school_id, payload.get("sevis_id"), payload.get("data") or {}, actor)
            details = {"batch_id": batch_label, "record": item.record_index, "action": item.action,
                       "request_id": payload.get("request_id")}  # fmt: skip
            record_event(session, actor, "feed.data_received", student=student, subject=f"feed_item:{item.id}", after=details)
            record_event(session, actor, "feed.data_transmitted", student=student, subject=f"feed_item:{item.id}",
                         after={**details, "result": "applied"})  # fmt: skip
    except DomainError as error:
        item.status = FeedItemStatus.REJECTED
        item.result = {**base, "field": error.field, "reason": error.message}
    except (ValueError, TypeError, KeyError) as error:
        item.status = FeedItemStatus.REJECTED
        item.result = {**base, "field": None, "reason": f"The record could not be read: {error}"[:300]}
    else:
        item.status = FeedItemStatus.APPLIED
        item.result = base
    item.applied_at = utcnow()
    session.flush()


# --- One function per action --------------------------------------------------------------------------


def _date(value, field_name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise InvalidValue(f"{field_name} must be a date like 2026-03-19.", field=field_name) from None


def _student(session: Session, school_id: int, sevis_id) -> Student:
    from portal.services.students import normalize_sevis_id

    sevis_id = normalize_sevis_id(sevis_id or "")
    student = session.scalar(select(Student).where(Student.sevis_id == sevis_id))
    if student is None or student.school_id != school_id:
        raise NotFound(f"No student with SEVIS ID {sevis_id} at this school.")
    return student


def _current_program(session: Session, student: Student) -> ProgramRecord:
    program = session.scalar(select(ProgramRecord).where(ProgramRecord.student_id == student.id,
                                                         ProgramRecord.status == ProgramStatus.ACTIVE)
                             .order_by(ProgramRecord.created_at.desc()).limit(1))  # fmt: skip
    if program is None:
        raise RuleBroken("The student has no active program record.", field="sevis_id")
    return program


def _find_opt(session: Session, student: Student, data: dict) -> OptAuthorization:
    start, end = _date(data.get("start_date"), "start_date"), _date(data.get("end_date"), "end_date")
    opt = session.scalar(select(OptAuthorization).join(ProgramRecord).where(
        ProgramRecord.student_id == student.id, OptAuthorization.start_date == start, OptAuthorization.end_date == end))  # fmt: skip
    if opt is None:
        raise NotFound(f"The student has no OPT from {start} to {end}.", field="start_date")
    return opt


def _create_student(session, school_id, sevis_id, data, actor):
    from portal.services.students import create_student, open_program_record

    school = session.get(School, school_id)
    student = create_student(session, actor, school=school, sevis_id=sevis_id or "", surname=data.get("surname") or "",
                             given_name=data.get("given_name") or "", email=data.get("email") or "")  # fmt: skip
    try:
        level = EducationLevel(data.get("education_level") or "other")
    except ValueError:
        raise InvalidValue("Unknown education level.", field="education_level") from None
    open_program_record(session, actor, student, education_level=level, major=(data.get("major") or "")[:120],
                        start_date=_date(data.get("program_start"), "program_start"),
                        end_date=_date(data.get("program_end"), "program_end"))  # fmt: skip
    return student


def _add_employers(session, student, employers, actor):
    from portal.services.employers import add_employer

    for values in employers or []:
        add_employer(session, student, values, actor=actor)


# What the service names the EAD dates, and what a JSON record calls them.
EAD_FIELDS = {"actual_start_date": "ead_start_date", "actual_end_date": "ead_end_date"}


def _ead_dates(data: dict) -> dict:
    """The EAD card's validity dates a record carries ("ead_start_date", "ead_end_date"), as approve_opt takes them;
    refuses a missing or malformed one on its field.

    SEVIS batch XML (Create-UpdateStudent.xsd 6.31) has no element for the EAD's dates: its OPTEmployment StartDate
    and EndDate are the only dates SEVIS sends, so the XML parser passes those as the EAD's. A JSON record carries
    both EAD dates of its own.
    """
    values = {}
    for service_name, record_name in EAD_FIELDS.items():
        if data.get(record_name) in (None, ""):
            raise InvalidValue(f"{record_name} is required: the date the EAD card is valid "
                               f"{'from' if service_name == 'actual_start_date' else 'to'}.", field=record_name)  # fmt: skip
        values[service_name] = _date(data.get(record_name), record_name)
    return values


def _on_record_fields(call, *args, **kwargs):
    """Run a service call, naming the EAD fields in its refusals as the record names them."""
    try:
        return call(*args, **kwargs)
    except DomainError as error:
        error.field = EAD_FIELDS.get(error.field, error.field)
        raise


def _opt_add(session, school_id, sevis_id, data, actor, kind=OptKind.POST_COMPLETION):
    """An OPTEmployment Add is an approval with the EAD's dates (the account is created once, rule 1); Extend is the
    STEM extension. Refuses missing, malformed or inverted EAD dates for this record alone."""
    from portal.services.opt_decisions import approve_opt
    from portal.services.students import request_opt

    student = _student(session, school_id, sevis_id)
    program = _current_program(session, student)
    start, end = _date(data.get("start_date"), "start_date"), _date(data.get("end_date"), "end_date")
    existing = session.scalar(select(OptAuthorization).where(
        OptAuthorization.program_record_id == program.id, OptAuthorization.kind == kind,
        OptAuthorization.start_date == start, OptAuthorization.end_date == end))  # fmt: skip
    if existing is None or existing.status is OptStatus.PENDING:
        ead = _ead_dates(data)
    opt = existing or request_opt(session, actor, program, kind=kind, start_date=start, end_date=end)
    if opt.status is OptStatus.PENDING:
        _on_record_fields(approve_opt, session, opt, actor=actor, **ead)
    elif opt.status is OptStatus.DENIED:
        raise RuleBroken("That OPT was cancelled; send a new Add with other dates.", field="start_date")
    _add_employers(session, student, data.get("employers"), actor)
    return student


def _opt_extend(session, school_id, sevis_id, data, actor):
    return _opt_add(session, school_id, sevis_id, data, actor, kind=OptKind.STEM)


def _opt_edit(session, school_id, sevis_id, data, actor):
    """SEVIS edits full/part time and remarks, which the portal does not keep: validated, recorded, ignored. A JSON
    Edit may carry new EAD dates for an approved OPT (a replacement card): those are corrected."""
    from portal.services.opt_decisions import correct_opt

    student = _student(session, school_id, sevis_id)
    opt = _find_opt(session, student, data)
    if any(data.get(name) not in (None, "") for name in EAD_FIELDS.values()):
        if opt.status is not OptStatus.APPROVED:
            raise RuleBroken(f"Only an approved OPT has EAD dates; this one is {opt.status.value}.",
                             field="ead_start_date")  # fmt: skip
        ead = _ead_dates(data)
        if (ead["actual_start_date"], ead["actual_end_date"]) != (opt.actual_start_date, opt.actual_end_date):
            _on_record_fields(correct_opt, session, opt, actor=actor, **ead)
    return student


def _opt_cancel(session, school_id, sevis_id, data, actor):
    from portal.services.opt_decisions import correct_opt, deny_opt

    student = _student(session, school_id, sevis_id)
    opt = _find_opt(session, student, data)
    if opt.status is OptStatus.PENDING:
        deny_opt(session, opt, actor=actor, reason="Cancelled in SEVIS")
    elif opt.status is OptStatus.APPROVED:
        correct_opt(session, opt, actor=actor, status=OptStatus.DENIED)
    return student


def _employer_add(session, school_id, sevis_id, data, actor):
    student = _student(session, school_id, sevis_id)
    if not data.get("employers"):
        raise InvalidValue("The record names no employer to add.", field="employers")
    _add_employers(session, student, data["employers"], actor)
    return student


def _employer_edit(session, school_id, sevis_id, data, actor):
    from portal.services.employers import update_employer

    student = _student(session, school_id, sevis_id)
    name, start = (data.get("employer_name") or "").strip(), _date(data.get("employer_start_date"), "employer_start_date")
    employer = session.scalar(select(Employer).where(
        Employer.student_id == student.id, Employer.deleted_at.is_(None), func.lower(Employer.name) == name.lower(),
        Employer.start_date == start))  # fmt: skip
    if employer is None:
        raise NotFound(f"The student has no employer {name!r} starting {start}.", field="employer_name")
    update_employer(session, employer, {**(data.get("changes") or {}), "same_job_confirmed": True}, actor=actor,
                    expected_version=employer.version)  # fmt: skip
    return student


def _email(session, school_id, sevis_id, data, actor):
    from portal.services.opt_decisions import change_email_of_record

    student = _student(session, school_id, sevis_id)
    change_email_of_record(session, student, actor=actor, new_email=data.get("email") or "")
    return student


def _address(kind: AddressKind):
    def apply(session, school_id, sevis_id, data, actor):
        from portal.services.contact import update_address

        student = _student(session, school_id, sevis_id)
        current = next((address for address in student.addresses if address.kind == kind), None)
        update_address(session, student, kind, data, actor=actor, expected_version=current.version if current else None)
        return student

    return apply


APPLIERS = {
    "CreateStudent": _create_student,
    "OPTEmployment.Add": _opt_add,
    "OPTEmployment.Edit": _opt_edit,
    "OPTEmployment.Cancel": _opt_cancel,
    "OPTEmployment.Extend": _opt_extend,
    "OPTEmployer.Add": _employer_add,
    "OPTEmployer.Edit": _employer_edit,
    "PersonalInfo.Email": _email,
    "PersonalInfo.USAddress": _address(AddressKind.PHYSICAL),
    "PersonalInfo.MailingAddress": _address(AddressKind.MAILING),
}


# --- The SEVIS transaction log --------------------------------------------------------------------------


def transaction_log_xml(result: dict, *, org_id: str) -> str:
    """The batch's per-record results as a SevisTransLog.xsd TransactionLog document."""
    from xml.sax.saxutils import escape, quoteattr

    now = utcnow().replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S")
    counts = result["counts"]
    failures = counts.get("rejected", 0)
    success = counts.get("applied", 0) + counts.get("queued", 0)
    records = []
    for record in result["records"]:
        ok = record["status"] != "rejected"
        message = record.get("reason") or ("Queued during maintenance" if record["status"] == "queued" else "Applied")
        if record.get("field"):
            message = f"{record['field']}: {message}"
        sevis = f" sevisID={quoteattr(record['sevis_id'])}" if record.get("sevis_id") and re.fullmatch(r"N\d{10}", record["sevis_id"]) else ""
        request_id = re.sub(r"[:/\\\s]", "", str(record.get("request_id") or "")) or str(record["index"])
        records.append(
            f"<Record requestID={quoteattr(request_id[:20])}{sevis}><ProcessDate>{now}</ProcessDate>"
            f"<Result status={quoteattr('1' if ok else '0')}><ErrorCode>{'S1000' if ok else 'S9999'}</ErrorCode>"
            f"<ErrorMessage>{escape(message[:500])}</ErrorMessage></Result></Record>"
        )
    batch_id = str(result["batch_id"])
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<TransactionLog><BatchHeader><BatchID>{escape(batch_id)}</BatchID><OrgID>{escape(org_id)}</OrgID></BatchHeader>"
        f"<BatchDetail status={quoteattr('1' if failures == 0 else '0')}>"
        f"<Process resultCode={quoteattr('S1000' if failures == 0 else 'S9999')} dateTimeStamp=\"{now}\">"
        f"<RecordCount><Success>{success}</Success><Failure>{failures}</Failure><Total>{success + failures}</Total></RecordCount>"
        + "".join(records)
        + "</Process></BatchDetail></TransactionLog>"
    )
