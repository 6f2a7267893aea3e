"""Reading a feed file into a batch of records: JSON lines or SEVIS batch XML (SEVISBatchCreateUpdateStudent).

A file that cannot be read or breaks the schema is refused whole (FeedRefused) with the reason; a JSON record of
the wrong shape is kept, marked with its problem, so it alone is rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from portal.services.feed.record_shapes import MalformedLine, load_line, record_problem
from portal.services.sevis.schemas import batch_schema

BATCH_ID_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
MAX_RECORDS = 5000

ACTIONS = (
    "CreateStudent",
    "OPTEmployment.Add",
    "OPTEmployment.Edit",
    "OPTEmployment.Cancel",
    "OPTEmployment.Extend",
    "OPTEmployer.Add",
    "OPTEmployer.Edit",
    "PersonalInfo.Email",
    "PersonalInfo.USAddress",
    "PersonalInfo.MailingAddress",
)


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
        raise FeedRefused(
            f"The file is not UTF-8 text (byte {error.start} cannot be read). Save it as UTF-8.", status=400
        ) from None
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
            raise FeedRefused(
                f"Line {number}: unknown action {str(action)[:60]!r}; expected one of {', '.join(ACTIONS)}."
            )
        problem = record_problem(action, value)
        if problem is not None:  # the wrong shape: this record alone is rejected, naming the field
            request_id, sevis_id = value.get("request_id"), value.get("sevis_id")
            records.append(
                FeedRecord(
                    index=index,
                    action=action,
                    sevis_id=sevis_id if isinstance(sevis_id, str) else None,
                    request_id=(request_id if isinstance(request_id, str) else str(index))[:20],
                    problem=problem,
                )
            )
            continue
        records.append(
            FeedRecord(
                index=index,
                action=action,
                request_id=str(value.get("request_id") or index)[:20],
                sevis_id=value.get("sevis_id"),
                data=value.get("data") or {},
            )
        )
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
        "name": _text(element, "EmployerName"),
        "address_line1": _text(element, "EmployerAddress/Address1"),
        "address_line2": _text(element, "EmployerAddress/Address2"),
        "city": _text(element, "EmployerAddress/City"),
        "state": _text(element, "EmployerAddress/State"),
        "postal_code": _text(element, "EmployerAddress/PostalCode"),
        "ein": _text(element, "EmployerEIN"),
        "self_employed": _text(element, "SelfEmployed"),
        "course_relevance": _text(element, "CourseRelevance"),
        "employment_time": EMPLOYMENT_TIME.get(_text(element, "FullPartTimeIndicator") or ""),
        "start_date": _text(element, "StartDate"),
        "end_date": _text(element, "EndDate"),
        "supervisor_first_name": _text(element, "SupervisorFirstName"),
        "supervisor_last_name": _text(element, "SupervisorLastName"),
        "supervisor_phone": _text(element, "SupervisorPhone"),
        "supervisor_phone_ext": _text(element, "SupervisorPhoneExt"),
        "supervisor_email": _text(element, "SupervisorEmail"),
        "job_title": _text(element, "StudentsJobTitle"),
    }
    return {key: value for key, value in values.items() if value is not None}


def _address_from_xml(element) -> dict:
    return {
        "line1": _text(element, "Address1"),
        "line2": _text(element, "Address2") or "",
        "city": _text(element, "City"),
        "state": _text(element, "State"),
        "postal_code": _text(element, "PostalCode"),
    }


def _update_records(student_element, base: dict) -> list[tuple[str, dict]]:
    """The portal's actions in one UpdateStudent/Student; other SEVIS updates are validated and ignored."""
    out: list[tuple[str, dict]] = []
    employment = student_element.find("OPTEmployment")
    if employment is not None:
        for verb in ("Add", "Edit", "Cancel", "Extend"):
            element = employment.find(verb)
            if element is None:
                continue
            data = {
                "start_date": _text(element, "StartDate"),
                "end_date": _text(element, "EndDate"),
                "employers": [_employer_from_xml(e) for e in element.findall("Employer")],
            }
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
            out.append(
                (
                    "OPTEmployer.Edit",
                    {
                        "employer_name": _text(edit, "EmployerIdentifier/EmployerName"),
                        "employer_start_date": _text(edit, "EmployerIdentifier/StartDate"),
                        "changes": _employer_from_xml(edit.find("Employer")),
                    },
                )
            )
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
    # inside: xmlschema takes most of a second to import, and only an XML batch needs it
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
        raise FeedRefused(
            f"The file does not match the SEVIS batch schema (Create-UpdateStudent.xsd){where}: "
            f"{error.reason or error.message}"[:1000]
        )
    root = resource.root
    records: list[FeedRecord] = []
    for student in root.findall("CreateStudent/Student"):
        sevis_id = _text(student, "UserDefinedA")
        records.append(
            FeedRecord(
                index=len(records) + 1,
                action="CreateStudent",
                request_id=student.get("requestID", ""),
                sevis_id=sevis_id,
                data={
                    "surname": _text(student, "PersonalInfo/FullName/LastName"),
                    "given_name": _text(student, "PersonalInfo/FullName/FirstName") or "",
                    "email": _text(student, "PersonalInfo/Email"),
                    "education_level": EDUCATION_LEVELS.get(
                        _text(student, "EducationalInfo/EduLevel/Level") or "", "other"
                    ),
                    "major": _text(student, "EducationalInfo/MajorCode1") or "",
                    "program_start": _text(student, "EducationalInfo/PrgStartDate"),
                    "program_end": _text(student, "EducationalInfo/PrgEndDate"),
                },
            )
        )
    for student in root.findall("UpdateStudent/Student"):
        for action, values in _update_records(student, {}):
            records.append(
                FeedRecord(
                    index=len(records) + 1,
                    action=action,
                    request_id=student.get("requestID", ""),
                    sevis_id=student.get("sevisID"),
                    data=values,
                )
            )
    return ParsedBatch(
        batch_id=_text(root, "BatchHeader/BatchID") or "",
        format="xml",
        org_id=_text(root, "BatchHeader/OrgID"),
        records=records,
    )
