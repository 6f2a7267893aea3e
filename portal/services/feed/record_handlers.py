"""Applying one feed record: one function per action, each calling the service a person's change would call, as the
data feed's actor. A refusal (a DomainError) rejects that record alone, naming its field."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Employer, OptAuthorization, ProgramRecord, School, Student
from portal.models.enums import AddressKind, EducationLevel, OptKind, OptStatus, ProgramStatus
from portal.services.contact import update_address
from portal.services.employers import add_employer, update_employer
from portal.services.errors import DomainError, InvalidValue, NotFound, RuleBroken
from portal.services.opt_decisions import approve_opt, change_email_of_record, correct_opt, deny_opt
from portal.services.students import create_student, normalize_sevis_id, open_program_record, request_opt


def _date(value, field_name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise InvalidValue(f"{field_name} must be a date like 2026-03-19.", field=field_name) from None


def _student(session: Session, school_id: int, sevis_id) -> Student:
    sevis_id = normalize_sevis_id(sevis_id or "")
    student = session.scalar(select(Student).where(Student.sevis_id == sevis_id))
    if student is None or student.school_id != school_id:
        raise NotFound(f"No student with SEVIS ID {sevis_id} at this school.")
    return student


def _current_program(session: Session, student: Student) -> ProgramRecord:
    program = session.scalar(
        select(ProgramRecord)
        .where(ProgramRecord.student_id == student.id, ProgramRecord.status == ProgramStatus.ACTIVE)
        .order_by(ProgramRecord.created_at.desc())
        .limit(1)
    )
    if program is None:
        raise RuleBroken("The student has no active program record.", field="sevis_id")
    return program


def _find_opt(session: Session, student: Student, data: dict) -> OptAuthorization:
    start, end = _date(data.get("start_date"), "start_date"), _date(data.get("end_date"), "end_date")
    opt = session.scalar(
        select(OptAuthorization)
        .join(ProgramRecord)
        .where(
            ProgramRecord.student_id == student.id,
            OptAuthorization.start_date == start,
            OptAuthorization.end_date == end,
        )
    )
    if opt is None:
        raise NotFound(f"The student has no OPT from {start} to {end}.", field="start_date")
    return opt


def _create_student(session, school_id, sevis_id, data, actor):
    school = session.get(School, school_id)
    student = create_student(
        session,
        actor,
        school=school,
        sevis_id=sevis_id or "",
        surname=data.get("surname") or "",
        given_name=data.get("given_name") or "",
        email=data.get("email") or "",
    )
    try:
        level = EducationLevel(data.get("education_level") or "other")
    except ValueError:
        raise InvalidValue("Unknown education level.", field="education_level") from None
    open_program_record(
        session,
        actor,
        student,
        education_level=level,
        major=(data.get("major") or "")[:120],
        start_date=_date(data.get("program_start"), "program_start"),
        end_date=_date(data.get("program_end"), "program_end"),
    )
    return student


def _add_employers(session, student, employers, actor):
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
            raise InvalidValue(
                f"{record_name} is required: the date the EAD card is valid "
                f"{'from' if service_name == 'actual_start_date' else 'to'}.",
                field=record_name,
            )
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
    student = _student(session, school_id, sevis_id)
    program = _current_program(session, student)
    start, end = _date(data.get("start_date"), "start_date"), _date(data.get("end_date"), "end_date")
    existing = session.scalar(
        select(OptAuthorization).where(
            OptAuthorization.program_record_id == program.id,
            OptAuthorization.kind == kind,
            OptAuthorization.start_date == start,
            OptAuthorization.end_date == end,
        )
    )
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
    student = _student(session, school_id, sevis_id)
    opt = _find_opt(session, student, data)
    if any(data.get(name) not in (None, "") for name in EAD_FIELDS.values()):
        if opt.status is not OptStatus.APPROVED:
            raise RuleBroken(
                f"Only an approved OPT has EAD dates; this one is {opt.status.value}.", field="ead_start_date"
            )
        ead = _ead_dates(data)
        if (ead["actual_start_date"], ead["actual_end_date"]) != (opt.actual_start_date, opt.actual_end_date):
            _on_record_fields(correct_opt, session, opt, actor=actor, **ead)
    return student


def _opt_cancel(session, school_id, sevis_id, data, actor):
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
    student = _student(session, school_id, sevis_id)
    name, start = (
        (data.get("employer_name") or "").strip(),
        _date(data.get("employer_start_date"), "employer_start_date"),
    )
    employer = session.scalar(
        select(Employer).where(
            Employer.student_id == student.id,
            Employer.deleted_at.is_(None),
            func.lower(Employer.name) == name.lower(),
            Employer.start_date == start,
        )
    )
    if employer is None:
        raise NotFound(f"The student has no employer {name!r} starting {start}.", field="employer_name")
    update_employer(
        session,
        employer,
        {**(data.get("changes") or {}), "same_job_confirmed": True},
        actor=actor,
        expected_version=employer.version,
    )
    return student


def _email(session, school_id, sevis_id, data, actor):
    student = _student(session, school_id, sevis_id)
    change_email_of_record(session, student, actor=actor, new_email=data.get("email") or "")
    return student


def _address(kind: AddressKind):
    def apply(session, school_id, sevis_id, data, actor):
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
