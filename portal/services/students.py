"""Creating SEVIS student records, programs of study and OPT requests, with their validation."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import OptAuthorization, ProgramRecord, School, Student
from portal.models.enums import EducationLevel, OptKind, OptStatus, ProgramStatus
from portal.services.actors import Actor
from portal.services.errors import Conflict, InvalidValue, RuleBroken
from portal.services.events import record_event
from portal.services.validation import email_address

SEVIS_ID_PATTERN = re.compile(r"N\d{10}")


def normalize_sevis_id(raw: str) -> str:
    """Upper-case and strip a SEVIS ID; refuses anything but N followed by ten digits."""
    value = (raw or "").strip().upper()
    if not SEVIS_ID_PATTERN.fullmatch(value):
        raise InvalidValue(
            "A SEVIS ID is the letter N followed by 10 digits, for example N0012345678.", field="sevis_id"
        )
    return value


def normalize_email(raw: str) -> str:
    """Trim and lower-case one email address; refuses anything else (validation.email_address)."""
    value = email_address(raw or "")
    if value is None:
        raise InvalidValue("Enter an email address like name@example.edu.", field="email")
    return value


def check_date_range(start: date, end: date | None, *, field: str = "end_date") -> None:
    """Refuses an end date before its start date."""
    if end is not None and end < start:
        raise RuleBroken(
            f"The end date ({end:%m/%d/%Y}) must be on or after the start date ({start:%m/%d/%Y}).", field=field
        )


def create_student(
    session: Session,
    actor: Actor,
    *,
    school: School,
    sevis_id: str,
    surname: str,
    given_name: str = "",
    email: str,
    phone: str | None = None,
) -> Student:
    """Create a student record; refuses a malformed or already-used SEVIS ID and a malformed email."""
    sevis_id = normalize_sevis_id(sevis_id)
    email = normalize_email(email)
    surname = (surname or "").strip()
    if not surname:
        raise InvalidValue("Enter the student's surname.", field="surname")
    if session.scalar(select(Student.id).where(Student.sevis_id == sevis_id)) is not None:
        raise Conflict(f"A student with SEVIS ID {sevis_id} already exists.")
    student = Student(
        school=school,
        school_id=school.id,
        sevis_id=sevis_id,
        surname=surname[:40],
        given_name=(given_name or "").strip()[:40],
        email=email,
        phone=phone,
    )
    session.add(student)
    session.flush()
    record_event(
        session,
        actor,
        "student.created",
        student=student,
        after={"sevis_id": sevis_id, "surname": student.surname, "given_name": student.given_name, "email": email},
    )
    return student


def open_program_record(
    session: Session,
    actor: Actor,
    student: Student,
    *,
    education_level: EducationLevel,
    start_date: date,
    end_date: date,
    major: str = "",
    school: School | None = None,
) -> ProgramRecord:
    """Open a program of study under the student's SEVIS ID; refuses an end date before the start."""
    check_date_range(start_date, end_date)
    school_id = school.id if school is not None else student.school_id
    record = ProgramRecord(
        student=student,
        school_id=school_id,
        education_level=education_level,
        major=major,
        status=ProgramStatus.ACTIVE,
        start_date=start_date,
        end_date=end_date,
    )
    session.add(record)
    session.flush()
    record_event(
        session,
        actor,
        "program.opened",
        student=student,
        subject=f"program:{record.id}",
        after={"education_level": education_level, "major": major, "start_date": start_date, "end_date": end_date},
    )
    return record


def request_opt(
    session: Session,
    actor: Actor,
    program_record: ProgramRecord,
    *,
    kind: OptKind,
    start_date: date,
    end_date: date,
) -> OptAuthorization:
    """Record a pending OPT request on a program record; refuses an inverted date range."""
    check_date_range(start_date, end_date)
    opt = OptAuthorization(
        program_record=program_record, kind=kind, status=OptStatus.PENDING, start_date=start_date, end_date=end_date
    )
    session.add(opt)
    session.flush()
    record_event(
        session,
        actor,
        "opt.requested",
        student=program_record.student,
        subject=f"opt:{opt.id}",
        after={"kind": kind, "start_date": start_date, "end_date": end_date, "status": OptStatus.PENDING},
    )
    return opt
