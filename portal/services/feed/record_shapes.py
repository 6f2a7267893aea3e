"""The shape of a JSON feed line: bounded nesting, no NaN or Infinity, and per-action record schemas (pydantic).

A body that is not JSON at all, or nests deeper than any record needs, is refused whole before the decoder
recurses. A record whose values have the wrong types (a list where an object belongs, a number where text
belongs) is rejected alone, naming the field, so the rest of the batch still applies.
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr, ValidationError

# A record is at most: line object > data > employers list > employer object; room to spare, never a recursion.
MAX_DEPTH = 8
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")

Text = StrictStr | None
_UNION_TAGS = {"str", "int", "bool"}  # pydantic names the member of a union in an error's location
EmployerValue = StrictStr | StrictBool | None


class MalformedLine(ValueError):
    """A line that is not one JSON value the feed can read (syntax, NaN/Infinity, too deep, a number too long)."""


def _refuse_constant(name: str):
    raise MalformedLine(f"{name} is not a JSON number; send a real number or leave the value out.")


def nesting_depth_exceeds(line: str, limit: int = MAX_DEPTH) -> bool:
    """Whether ``line``'s brackets (outside strings) nest deeper than ``limit``; stops at the first level too deep."""
    if line.count("[") + line.count("{") <= limit:
        return False
    depth = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub('""', line)):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return True
    return False


def load_line(line: str):
    """Decode one JSON line; MalformedLine for bad syntax, NaN/Infinity, nesting over MAX_DEPTH, or a huge number."""
    if nesting_depth_exceeds(line):
        raise MalformedLine(f"it nests more than {MAX_DEPTH} levels of brackets deep")
    try:
        return json.loads(line, parse_constant=_refuse_constant)
    except MalformedLine:
        raise
    except json.JSONDecodeError as error:
        raise MalformedLine(f"{error.msg} (column {error.colno})") from None
    except (ValueError, RecursionError) as error:  # an integer past Python's digit limit
        raise MalformedLine(str(error)[:200]) from None


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class Employer(_Shape):
    model_config = ConfigDict(extra="forbid")

    name: Text = None
    address_line1: Text = None
    address_line2: Text = None
    city: Text = None
    state: Text = None
    postal_code: Text = None
    ein: Text = None
    self_employed: EmployerValue = None
    employment_type: Text = None  # left out: self-employed or paid employee by self_employed (employers service)
    course_relevance: Text = None
    employment_time: Text = None
    start_date: Text = None
    end_date: Text = None
    supervisor_first_name: Text = None
    supervisor_last_name: Text = None
    supervisor_phone: Text = None
    supervisor_phone_ext: Text = None
    supervisor_email: Text = None
    job_title: Text = None


class CreateStudentData(_Shape):
    surname: Text = None
    given_name: Text = None
    email: Text = None
    education_level: Text = None
    major: Text = None
    program_start: Text = None
    program_end: Text = None


class EmploymentData(_Shape):
    start_date: Text = None
    end_date: Text = None
    ead_start_date: Text = None
    ead_end_date: Text = None
    employers: list[Employer] | None = None


class EmployerAddData(_Shape):
    employers: list[Employer] | None = None


class EmployerEditData(_Shape):
    employer_name: Text = None
    employer_start_date: Text = None
    changes: Employer | None = None


class EmailData(_Shape):
    email: Text = None


class AddressData(_Shape):
    line1: Text = None
    line2: Text = None
    city: Text = None
    state: Text = None
    postal_code: Text = None


DATA_SHAPES: dict[str, type[BaseModel]] = {
    "CreateStudent": CreateStudentData,
    "OPTEmployment.Add": EmploymentData,
    "OPTEmployment.Edit": EmploymentData,
    "OPTEmployment.Cancel": EmploymentData,
    "OPTEmployment.Extend": EmploymentData,
    "OPTEmployer.Add": EmployerAddData,
    "OPTEmployer.Edit": EmployerEditData,
    "PersonalInfo.Email": EmailData,
    "PersonalInfo.USAddress": AddressData,
    "PersonalInfo.MailingAddress": AddressData,
}


class Envelope(_Shape):
    action: StrictStr
    request_id: StrictStr | StrictInt | None = None
    sevis_id: Text = None
    data: dict | None = None


def record_problem(action: str, record: dict) -> tuple[str, str] | None:
    """Why a JSON record has the wrong shape, as (field, reason), or None when its values have the right types."""
    try:
        Envelope.model_validate(record)
        DATA_SHAPES[action].model_validate(record.get("data") or {})
    except ValidationError as error:
        first = error.errors()[0]
        location = [str(part) for part in first["loc"] if part not in _UNION_TAGS]
        if location[:1] == ["data"] and len(location) > 1:
            location = location[1:]
        field = ".".join(location) or "data"
        return field, f"{field} has the wrong type: {_expected(first)}."
    return None


def _expected(error: dict) -> str:
    kind = error["type"]
    words = {
        "string_type": "it must be text in quotes",
        "dict_type": "it must be an object {...}",
        "model_type": "it must be an object {...}",
        "list_type": "it must be a list [...]",
        "extra_forbidden": "this field is not one the record takes",
        "int_type": "it must be text or a whole number",
        "bool_type": "it must be true or false",
    }
    return words.get(kind, error["msg"].lower())
