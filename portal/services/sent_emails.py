"""What the communications pages read: the emails sent to a school's students, or to one student, newest first."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portal.models import OutboxEmail, Student
from portal.services.student_search import like_escape


def sent_emails(
    session: Session,
    *,
    school_id: int | None,
    student_id: int | None = None,
    q: str = "",
    template: str = "",
    page: int,
    per_page: int,
) -> tuple[list, int]:
    """A page of (email, student) rows for a school (None: every school) or one student, matching ``q`` (SEVIS ID,
    a name or the address) and ``template``, newest first, with the total (two statements)."""
    conditions = []
    if school_id is not None:
        conditions.append(Student.school_id == school_id)
    if student_id is not None:
        conditions.append(OutboxEmail.student_id == student_id)
    if template:
        conditions.append(OutboxEmail.template == template)
    if q:
        pattern = "%" + like_escape(q.lower()) + "%"
        conditions.append(
            or_(
                Student.sevis_id == q.upper(),
                func.lower(Student.surname).like(pattern, escape="\\"),
                func.lower(Student.given_name).like(pattern, escape="\\"),
                OutboxEmail.to_address.like(pattern, escape="\\"),
            )
        )
    base = select(OutboxEmail, Student).join(Student, Student.id == OutboxEmail.student_id).where(*conditions)
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    rows = session.execute(
        base.order_by(OutboxEmail.queued_at.desc(), OutboxEmail.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return rows, total
