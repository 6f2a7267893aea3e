"""Who may see a student: a student only themselves, an official and the data feed only their school's students,
support and the system every student. One rule, asked of a loaded student (``may_see``) or of the database
(``visible_student``); refusals elsewhere build on it."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Student
from portal.services.actors import Actor
from portal.services.errors import NotFound

_SEVIS_ID = re.compile(r"N\d{10}", re.IGNORECASE)
NOT_HERE = "There is no student with that SEVIS ID at your school."


def may_see(actor: Actor, student: Student) -> bool:
    """Whether ``actor`` may see ``student``: a student only themselves, an official only their school's students."""
    if actor.is_support:
        return True
    if actor.is_student:
        return actor.student_id is None or actor.student_id == student.id
    return actor.school_id is None or actor.school_id == student.school_id


def _visible_conditions(actor: Actor) -> list:
    """``may_see`` as conditions on the students table (the same cases, in the same order)."""
    if actor.is_support:
        return []
    if actor.is_student:
        return [] if actor.student_id is None else [Student.id == actor.student_id]
    return [] if actor.school_id is None else [Student.school_id == actor.school_id]


def visible_student(session: Session, actor: Actor, sevis_id: str, *options) -> Student:
    """The student with ``sevis_id`` whom ``actor`` may see, loaded with ``options``; NotFound for anyone else."""
    sevis_id = (sevis_id or "").strip().upper()
    if not _SEVIS_ID.fullmatch(sevis_id):
        raise NotFound(NOT_HERE)
    statement = select(Student).where(Student.sevis_id == sevis_id, *_visible_conditions(actor)).options(*options)
    student = session.scalars(statement).unique().one_or_none()
    if student is None:
        raise NotFound(NOT_HERE)
    return student
