"""Support's look-up: students of every school by name, email or the start of a SEVIS ID, by name."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select, union
from sqlalchemy.orm import Session, joinedload

from portal.models import Student
from portal.services.student_search import full_name_expression, like_escape
from portal.services.student_search_terms import MAX_QUERY

LOOK_UP_LIMIT = 50
LOOK_UP_MIN = 2


@dataclass
class LookUp:
    """Support's look-up: what was asked, the students found (by name), and whether there were more than shown."""

    q: str
    students: list
    more: bool
    error: str | None = None


def look_up_students(session: Session, raw: str | None, *, limit: int | None = None) -> LookUp:
    """Support's look-up across every school: students whose name or email contains the text, or whose SEVIS ID
    starts with it, by name, at most ``limit`` (one statement). Too short, too long or control characters: a message
    in ``error`` and no query."""
    limit = limit or LOOK_UP_LIMIT
    q = (raw or "").strip()
    if not q:
        return LookUp(q, [], False)
    if len(q) > MAX_QUERY or any(ord(ch) < 32 for ch in q):
        return LookUp("", [], False, f"Search for a name, an email or a SEVIS ID (at most {MAX_QUERY} characters).")
    if len(q) < LOOK_UP_MIN:
        return LookUp(q, [], False, f"Type at least {LOOK_UP_MIN} characters of a name, an email or a SEVIS ID.")
    pattern = "%" + like_escape(q.lower()) + "%"
    parts = [
        select(Student.id).where(full_name_expression().like(pattern, escape="\\")),
        select(Student.id).where(Student.email.like(pattern, escape="\\")),
    ]
    if re.fullmatch(r"[Nn]\d{1,10}", q):
        parts.append(select(Student.id).where(Student.sevis_id.like(q.upper() + "%")))
    students = list(
        session.scalars(
            select(Student)
            .where(Student.id.in_(union(*parts).scalar_subquery()))
            .options(joinedload(Student.school))
            .order_by(Student.surname, Student.given_name, Student.id)
            .limit(limit + 1)
        )
    )
    return LookUp(q, students[:limit], len(students) > limit)
