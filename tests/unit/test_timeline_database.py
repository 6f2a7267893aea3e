"""The timeline's database side: the facts as the records hold them, one timeline on a day, and the marks kept
current in the same flush as the change."""

from __future__ import annotations

import os
from datetime import date

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from portal.models import Base, TimelineMark, TimelineMarksVersion, utcnow
from portal.models.enums import OptKind, OptStatus, ProgramStatus
from portal.services.clock import END_OF_TIME
from portal.services.timeline import MARKS_VERSION
from portal.services.timeline.database import (
    load_facts,
    refresh_all_marks,
    refresh_marks,
    refresh_stale_marks,
    stored_marks_version,
    student_timeline,
    timelines_for,
)
from portal.services.timeline.view import EmploymentState
from tests.unit.conftest import TODAY

D = date.fromisoformat


def _marks(session, student):
    return list(
        session.execute(
            select(TimelineMark.kind, TimelineMark.starts_on, TimelineMark.ends_on, TimelineMark.detail)
            .where(TimelineMark.student_id == student.id)
            .order_by(TimelineMark.kind, TimelineMark.starts_on, TimelineMark.detail)
        )
    )


def test_the_facts_are_the_records_as_stored_without_deleted_jobs(db_session, factory, school, student):
    kept = factory.employer(student, name="Acme", start_date=D("2026-02-01"))
    gone = factory.employer(student, name="Gone", start_date=D("2026-01-15"))
    gone.deleted_at = utcnow()
    db_session.flush()
    facts = load_facts(db_session, [student.id])[student.id]
    assert facts.school_id == school.id
    [program] = facts.programs
    assert program.status is ProgramStatus.ACTIVE
    [opt] = program.opts
    assert (opt.kind, opt.status, opt.start, opt.end) == (
        OptKind.POST_COMPLETION,
        OptStatus.APPROVED,
        D("2026-01-01"),
        D("2026-12-31"),
    )
    assert [(job.id, job.name, job.opt_id) for job in facts.jobs] == [(kept.id, "Acme", opt.id)]


def test_an_unknown_id_has_no_facts_and_a_student_without_records_has_empty_ones(db_session, factory, school):
    bare = factory.student(school=school, opt=None)
    facts = load_facts(db_session, [bare.id, bare.id + 10_000])
    assert list(facts) == [bare.id]
    assert [program.opts for program in facts[bare.id].programs] == [()]


def test_one_timeline_and_many_are_the_same_timeline_on_the_day(db_session, factory, school, student):
    factory.employer(student, start_date=D("2026-02-01"))
    other = factory.student(school=school, opt_start=D("2026-01-01"), opt_end=D("2026-12-31"), today=TODAY)
    one = student_timeline(db_session, student, TODAY)
    many = timelines_for(db_session, [student.id, other.id], TODAY)
    assert sorted(many) == sorted([student.id, other.id])
    assert many[student.id] == one == student_timeline(db_session, student.id, TODAY)
    assert [job.state for job in one.jobs] == [EmploymentState.CURRENT]
    assert one.unemployment.used == 31  # January 2026, before the job started


def test_a_new_employer_rewrites_the_students_marks_in_the_same_flush(db_session, factory, student):
    assert not any(row.kind == "current_employer" for row in _marks(db_session, student))
    assert any(row.kind == "unemployment_reached" for row in _marks(db_session, student))
    job = factory.employer(student, start_date=D("2026-02-01"))
    marks = _marks(db_session, student)
    assert ("current_employer", D("2026-02-01"), END_OF_TIME, str(job.id)) in marks
    assert [(row.starts_on, row.ends_on) for row in marks if row.kind == "unemployed"] == [
        (D("2026-01-01"), D("2026-01-31"))
    ]
    assert not any(row.kind == "unemployment_reached" for row in marks)


def test_refreshing_rewrites_lost_marks_exactly_once(db_session, student):
    before = _marks(db_session, student)
    db_session.execute(delete(TimelineMark).where(TimelineMark.student_id == student.id))
    assert _marks(db_session, student) == []
    assert refresh_marks(db_session.connection(), [student.id, student.id]) == len(before)
    assert refresh_marks(db_session.connection(), [student.id]) == len(before)
    assert _marks(db_session, student) == before


def test_refreshing_everyone_reaches_every_student_across_batches(db_session, factory, school, student):
    other = factory.student(school=school, opt_start=D("2026-03-01"), opt_end=D("2027-02-28"), today=TODAY)
    before = {student.id: _marks(db_session, student), other.id: _marks(db_session, other)}
    db_session.execute(delete(TimelineMark))
    written = refresh_all_marks(db_session.connection(), batch=1)
    assert {student.id: _marks(db_session, student), other.id: _marks(db_session, other)} == before
    assert written >= len(before[student.id]) + len(before[other.id]) > 0


def test_the_refresh_marks_command_recomputes_everyone_and_records_the_rules_version(
    app, db_session, factory, school, student
):
    other = factory.student(school=school, opt_start=D("2026-03-01"), opt_end=D("2027-02-28"), today=TODAY)
    before = {student.id: _marks(db_session, student), other.id: _marks(db_session, other)}
    db_session.execute(delete(TimelineMark))
    db_session.execute(update(TimelineMarksVersion).values(version=1))
    result = app.test_cli_runner().invoke(args=["timeline", "refresh-marks"])
    assert result.exit_code == 0, result.output
    written = len(before[student.id]) + len(before[other.id])
    assert result.output == (
        f"Recomputed the timeline marks of 2 students ({written} marks) with rules version {MARKS_VERSION}.\n"
    )
    assert {student.id: _marks(db_session, student), other.id: _marks(db_session, other)} == before
    assert stored_marks_version(db_session) == MARKS_VERSION


def test_marks_whose_version_nothing_records_are_recomputed_and_the_version_recorded(db_session, student):
    before = _marks(db_session, student)
    db_session.execute(delete(TimelineMark))
    db_session.execute(delete(TimelineMarksVersion))
    refreshed = refresh_stale_marks(db_session)
    assert (refreshed.from_version, refreshed.to_version, refreshed.students) == (None, MARKS_VERSION, 1)
    assert _marks(db_session, student) == before
    assert stored_marks_version(db_session) == MARKS_VERSION
    assert refresh_stale_marks(db_session) is None


@pytest.mark.skipif(
    os.environ.get("PORTAL_TEST_DB", "sqlite") != "postgresql", reason="several workers run on PostgreSQL only"
)
def test_a_second_worker_waits_for_the_first_workers_refresh_then_finds_the_marks_current(fresh_engine):
    Base.metadata.create_all(fresh_engine)
    with Session(fresh_engine) as first, Session(fresh_engine) as second:
        first.execute(update(TimelineMarksVersion).values(version=1))
        first.commit()
        assert refresh_stale_marks(first) is not None  # claimed, not yet committed
        second.execute(text("SET LOCAL lock_timeout = '200ms'"))
        with pytest.raises(DBAPIError, match="lock timeout"):
            refresh_stale_marks(second)  # it waits for the first's transaction
        second.rollback()
        first.commit()
        assert refresh_stale_marks(second) is None
        assert stored_marks_version(second) == MARKS_VERSION
