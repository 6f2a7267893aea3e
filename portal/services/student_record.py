"""What the Student Information page reads about one student: the record, a page of employers, documents and the
timeline on a day (OPT states, employment past/current/upcoming, the unemployment counter), in constant statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.models import Document, Employer, ProgramRecord, Student
from portal.services.actors import Actor
from portal.services.timeline import EmploymentState, Job, OptView, Timeline
from portal.services.timeline.database import student_timeline
from portal.services.visibility import visible_student

EMPLOYERS_PER_PAGE = 50


@dataclass(frozen=True)
class EmployerRow:
    """An employer as the page lists it: its record and, when the timeline has it, its job there."""

    employer: Employer
    job: Job | None  # None: deleted, or reported under an OPT that is not on the current record

    @property
    def state(self) -> EmploymentState | None:
        return self.job.state if self.job is not None and self.employer.deleted_at is None else None

    @property
    def dates(self) -> str:
        """ "start–end"; "start–present" only for a current job; "from start" for one that has not started."""
        employer = self.employer
        start = f"{employer.start_date:%m/%d/%Y}"
        if employer.end_date is not None:
            return f"{start}–{employer.end_date:%m/%d/%Y}"
        return f"{start}–present" if self.state is EmploymentState.CURRENT else f"from {start}"


@dataclass(frozen=True)
class StudentRecord:
    student: Student
    timeline: Timeline
    employers: list[EmployerRow]
    employer_total: int
    employers_page: int
    documents: list[Document]

    @property
    def employer_pages(self) -> int:
        return max(1, -(-self.employer_total // EMPLOYERS_PER_PAGE))

    def opt_view(self, opt_id: int) -> OptView | None:
        """The timeline's view of an OPT of the current record (None for another record's, or a denied STEM OPT)."""
        return next((view for view in self.timeline.opts if view.facts.id == opt_id), None)


def student_record(
    session: Session, actor: Actor, sevis_id: str, today: date, *, employers_page: int = 1
) -> StudentRecord:
    """The Student Information page's read of a student ``actor`` may see, on ``today``; NotFound for anyone else."""
    # One row per program record and OPT (a handful); addresses apart, read in the order they always were.
    student = visible_student(
        session,
        actor,
        sevis_id,
        joinedload(Student.user),
        joinedload(Student.school),
        joinedload(Student.program_records).joinedload(ProgramRecord.opt_authorizations),
        selectinload(Student.addresses),
    )
    timeline = student_timeline(session, student, today)
    employers_page = max(employers_page, 1)
    # Paged like every list: a record with thousands of employers must not make the page slow. The total comes
    # with the page (a page past the end shows none, and then needs no total).
    rows = session.execute(
        select(Employer, func.count().over().label("total"))
        .where(Employer.student_id == student.id)
        .order_by(Employer.deleted_at.is_not(None), Employer.start_date.desc(), Employer.id.desc())
        .limit(EMPLOYERS_PER_PAGE)
        .offset((employers_page - 1) * EMPLOYERS_PER_PAGE)
    ).all()
    jobs = {job.id: job for job in timeline.jobs}
    documents = list(
        session.scalars(
            select(Document)
            .where(Document.student_id == student.id, Document.deleted_at.is_(None))
            .order_by(Document.uploaded_at.desc(), Document.id.desc())
        )
    )
    return StudentRecord(
        student=student,
        timeline=timeline,
        employers=[EmployerRow(row.Employer, jobs.get(row.Employer.id)) for row in rows],
        employer_total=rows[0].total if rows else 0,
        employers_page=employers_page,
        documents=documents,
    )


def student_for_support(session: Session, actor: Actor, sevis_id: str) -> Student:
    """A student ``actor`` may see, with the account, school, program records and OPTs support's page shows; NotFound
    for anyone else."""
    return visible_student(
        session,
        actor,
        sevis_id,
        selectinload(Student.user),
        selectinload(Student.school),
        selectinload(Student.program_records).selectinload(ProgramRecord.opt_authorizations),
    )
