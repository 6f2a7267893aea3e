"""The timeline's database side: the facts of many students in a constant number of statements, each student's
timeline on a day, and the dated marks (portal.models.timeline_mark) kept current on every flush and recomputed for
everyone once when the rules that compute them change (``MARKS_VERSION``).

The computation itself is the rest of portal.services.timeline (pure). This module only loads and stores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.models import (
    Employer,
    OptAuthorization,
    ProgramRecord,
    Student,
    TimelineMark,
    TimelineMarksVersion,
    utcnow,
)
from portal.services.clock import eastern_date, today_eastern
from portal.services.timeline import (
    MARKS_VERSION,
    JobFacts,
    OptFacts,
    ProgramFacts,
    StudentFacts,
    Timeline,
    marks_for,
    timeline_for,
)

CHUNK = 1000

_programs = ProgramRecord.__table__
_opts = OptAuthorization.__table__
_jobs = Employer.__table__

_students = Student.__table__

_PROGRAMS_AND_OPTS = (
    select(
        _students.c.id.label("student_id"),
        _students.c.school_id,
        _programs.c.id,
        _programs.c.status,
        _programs.c.start_date,
        _programs.c.end_date,
        _programs.c.completed_on,
        _opts.c.id.label("opt_id"),
        _opts.c.kind,
        _opts.c.status.label("opt_status"),
        _opts.c.start_date.label("opt_start"),
        _opts.c.end_date.label("opt_end"),
        _opts.c.actual_start_date,
        _opts.c.actual_end_date,
        _opts.c.ended_on,
        _opts.c.created_at,
        _opts.c.decided_at,
    )
    .select_from(_students)
    .outerjoin(_programs, _programs.c.student_id == _students.c.id)
    .outerjoin(_opts, _opts.c.program_record_id == _programs.c.id)
    .order_by(_students.c.id, _programs.c.created_at, _programs.c.id, _opts.c.start_date, _opts.c.id)
)
_LIVE_JOBS = (
    select(
        _jobs.c.student_id,
        _jobs.c.id,
        _jobs.c.opt_authorization_id,
        _jobs.c.name,
        _jobs.c.start_date,
        _jobs.c.end_date,
        _jobs.c.review_status,
        _jobs.c.employment_time,
    )
    .where(_jobs.c.deleted_at.is_(None))
    .order_by(_jobs.c.student_id, _jobs.c.start_date, _jobs.c.id)
)


def load_facts(connection, student_ids: Iterable[int]) -> dict[int, StudentFacts]:
    """The facts of these students: two statements per thousand students (``connection``: a Session or Connection)."""
    ids = sorted(set(student_ids))
    facts: dict[int, StudentFacts] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        programs: dict[int, dict[int, tuple]] = defaultdict(dict)
        opts: dict[int, list[OptFacts]] = defaultdict(list)
        schools: dict[int, int] = {}
        for row in connection.execute(_PROGRAMS_AND_OPTS.where(_students.c.id.in_(chunk))):
            schools[row.student_id] = row.school_id
            if row.id is None:
                continue
            programs[row.student_id].setdefault(row.id, row)
            if row.opt_id is not None:
                opts[row.id].append(
                    OptFacts(
                        id=row.opt_id,
                        kind=row.kind,
                        status=row.opt_status,
                        requested_start=row.opt_start,
                        requested_end=row.opt_end,
                        actual_start=row.actual_start_date,
                        actual_end=row.actual_end_date,
                        ended_on=row.ended_on,
                        requested_on=eastern_date(row.created_at) if row.created_at else None,
                        decided_on=eastern_date(row.decided_at) if row.decided_at else None,
                    )
                )
        jobs: dict[int, list[JobFacts]] = defaultdict(list)
        for row in connection.execute(_LIVE_JOBS.where(_jobs.c.student_id.in_(chunk))):
            jobs[row.student_id].append(
                JobFacts(
                    id=row.id,
                    opt_id=row.opt_authorization_id,
                    name=row.name,
                    start_date=row.start_date,
                    end_date=row.end_date,
                    review=row.review_status,
                    employment_time=row.employment_time,
                )
            )
        for student_id in chunk:
            if student_id not in schools:
                continue  # no such student
            facts[student_id] = StudentFacts(
                student_id=student_id,
                school_id=schools[student_id],
                programs=tuple(
                    ProgramFacts(
                        id=row.id,
                        status=row.status,
                        start_date=row.start_date,
                        end_date=row.end_date,
                        completed_on=row.completed_on,
                        opts=tuple(opts[row.id]),
                    )
                    for row in programs[student_id].values()
                ),
                jobs=tuple(jobs[student_id]),
            )
    return facts


def student_timeline(session: Session, student: Student | int, today: date | None = None) -> Timeline:
    """One student's timeline on ``today`` (US Eastern today by default)."""
    student_id = student if isinstance(student, int) else student.id
    return timeline_for(load_facts(session, [student_id])[student_id], today or today_eastern())


def timelines_for(session: Session, student_ids: Iterable[int], today: date | None = None) -> dict[int, Timeline]:
    """Many students' timelines on one day, for a page of a list or an export chunk."""
    today = today or today_eastern()
    return {student_id: timeline_for(facts, today) for student_id, facts in load_facts(session, student_ids).items()}


# --- The dated marks, kept current ----------------------------------------------------------------


def refresh_marks(connection, student_ids: Iterable[int]) -> int:
    """Rewrite these students' timeline marks from their facts; returns how many marks were written."""
    ids = sorted(set(student_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = [
            {
                "student_id": student_id,
                "school_id": facts.school_id,
                "kind": str(mark.kind),
                "starts_on": mark.starts_on,
                "ends_on": mark.ends_on,
                "detail": mark.detail,
            }
            for student_id, facts in load_facts(connection, chunk).items()
            for mark in marks_for(facts)
        ]
        connection.execute(delete(TimelineMark.__table__).where(TimelineMark.__table__.c.student_id.in_(chunk)))
        if rows:
            connection.execute(insert(TimelineMark.__table__), rows)
        written += len(rows)
    return written


def refresh_all_marks(connection, *, batch: int = CHUNK) -> int:
    """Recompute every student's marks (after a bulk load or a change to the rules); returns how many were written."""
    return _refresh_everyone(connection, batch)[1]


def _refresh_everyone(connection, batch: int = CHUNK) -> tuple[int, int]:
    """Recompute every student's marks, ``batch`` students at a time; returns (students, marks written)."""
    students, written, last_id = 0, 0, 0
    while True:
        ids = list(
            connection.execute(
                select(Student.id).where(Student.id > last_id).order_by(Student.id).limit(batch)
            ).scalars()
        )
        if not ids:
            return students, written
        written += refresh_marks(connection, ids)
        students += len(ids)
        last_id = ids[-1]


# --- Which rules computed the stored marks ---------------------------------------------------------------

_version = TimelineMarksVersion.__table__


@event.listens_for(_version, "after_create")
def _start_at_the_current_rules(table, connection, **_kwargs) -> None:
    # A database made by create_all() (tests, throwaway databases) has no marks yet, so none computed by older rules.
    connection.execute(insert(table).values(id=1, version=MARKS_VERSION))


@dataclass(frozen=True)
class MarksRefresh:
    """What a refresh of everyone's marks did: the rules' version before and after, and how many students."""

    from_version: int | None
    to_version: int
    students: int
    marks: int


def stored_marks_version(connection) -> int | None:
    """The version of the marks rules the stored marks were computed with (None when nothing records it)."""
    return connection.execute(select(_version.c.version).where(_version.c.id == 1)).scalar()


def _record_version(session: Session, *, only_if_older: bool) -> bool:
    """Record MARKS_VERSION (with ``only_if_older``, only over an older one); returns whether this transaction did.

    The row stays locked until the transaction ends, so a second worker's UPDATE waits for the first's refresh to
    commit and then matches nothing (or, on a rollback, claims it itself).
    """
    condition = [_version.c.id == 1]
    if only_if_older:
        condition.append(_version.c.version < MARKS_VERSION)
    values = {"version": MARKS_VERSION, "refreshed_at": utcnow()}
    if session.execute(update(_version).where(*condition).values(**values)).rowcount:
        return True
    if stored_marks_version(session) is not None:
        return False
    try:
        with session.begin_nested():
            session.execute(insert(_version).values(id=1, **values))
    except IntegrityError:
        return False  # another process recorded it meanwhile
    return True


def refresh_all_marks_now(session: Session) -> MarksRefresh:
    """Recompute every student's stored marks with the current rules and record their version (the operator's command)."""
    before = stored_marks_version(session)
    _record_version(session, only_if_older=False)
    students, written = _refresh_everyone(session)
    return MarksRefresh(before, MARKS_VERSION, students, written)


def refresh_stale_marks(session: Session) -> MarksRefresh | None:
    """When older rules than MARKS_VERSION computed the stored marks, recompute everyone's and record the version, in
    the caller's transaction; returns what it did, or None when they were current (one statement) or another
    worker refreshed them first."""
    before = stored_marks_version(session)
    if before is not None and before >= MARKS_VERSION:
        return None
    if not _record_version(session, only_if_older=True):
        return None
    students, written = _refresh_everyone(session)
    return MarksRefresh(before, MARKS_VERSION, students, written)


_PENDING = "timeline_students_to_refresh"


_WATCHED = (Employer, ProgramRecord, OptAuthorization, Student)


def _student_id_of(instance) -> int | None:
    if isinstance(instance, Employer | ProgramRecord):
        return instance.student_id or (instance.student.id if instance.student is not None else None)
    if isinstance(instance, OptAuthorization):
        program = instance.program_record
        return program.student_id or program.student.id if program is not None else None
    return instance.id


def _remember_touched(session: Session, flush_context, instances) -> None:
    # The instances, not their ids: a new student or record gets its id only during the flush.
    touched = [
        instance for instance in (*session.new, *session.dirty, *session.deleted) if isinstance(instance, _WATCHED)
    ]
    session.info.setdefault(_PENDING, []).extend(touched)


def _refresh_touched(session: Session, flush_context) -> None:
    ids = {_student_id_of(instance) for instance in session.info.pop(_PENDING, [])} - {None}
    if ids:
        refresh_marks(session.connection(), ids)


def keep_marks_current(session_class: type[Session]) -> None:
    """Refresh the marks of every student a flush touches, in the same transaction (idempotent)."""
    if not event.contains(session_class, "before_flush", _remember_touched):
        event.listen(session_class, "before_flush", _remember_touched)
        event.listen(session_class, "after_flush_postexec", _refresh_touched)
