"""What a student sees and may change (DESIGN rules 3 to 6)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.models.enums import EducationLevel, OptStatus, ProgramStatus, Role
from portal.services.access import closed_account_for, student_access
from portal.services.clock import add_months
from portal.services.errors import NotAllowed
from portal.services.students import open_program_record

TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 15), 6, date(2026, 7, 15)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
    ],
)
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected


def _student(factory, *, opt_start=date(2025, 6, 1), opt_end=date(2026, 5, 31), **kwargs):
    return factory.student(opt_start=opt_start, opt_end=opt_end, today=TODAY, **kwargs)


@pytest.mark.parametrize(
    ("days_after_end", "can_edit"),
    [(-30, True), (0, True), (15, True), (16, False), (180, False)],
)
def test_edits_allowed_until_fifteen_days_after_the_opt_end(factory, db_session, days_after_end, can_edit):
    student = _student(factory)
    access = student_access(db_session, student, today=date(2026, 5, 31) + timedelta(days=days_after_end))
    assert access.can_edit is can_edit
    assert access.access_ended is False
    if not can_edit:
        assert "May 31, 2026" in access.read_only_reason and "November 30, 2026" in access.read_only_reason


def test_access_ends_six_months_after_the_opt_end(factory, db_session):
    student = _student(factory)
    assert student_access(db_session, student, today=date(2026, 11, 30)).access_ended is False
    ended = student_access(db_session, student, today=date(2026, 12, 1))
    assert ended.access_ended and ended.access_ends_on == date(2026, 11, 30)
    assert "ended on November 30, 2026" in ended.read_only_reason
    with pytest.raises(NotAllowed):
        ended.require_edit()


def test_early_completion_is_read_only_until_six_months_after_the_opt_end(factory, db_session):
    student = _student(factory)
    program = student.program_records[-1]
    program.status = ProgramStatus.COMPLETED
    program.completed_on = date(2026, 3, 1)
    program.opt_authorizations[0].ended_on = date(2026, 3, 1)
    access = student_access(db_session, student, today=date(2026, 3, 10))
    assert access.can_edit is False
    assert access.access_ends_on == date(2026, 11, 30)
    assert "completed your program record on March 1, 2026" in access.read_only_reason
    assert "until November 30, 2026" in access.read_only_reason


def test_pending_stem_keeps_editing_open_after_the_post_completion_end(factory, db_session):
    student = _student(factory)
    stem = factory.stem_opt(student, status="pending")
    stem.created_at = datetime(2026, 4, 1, 15, tzinfo=UTC)  # timely: filed before the post-completion OPT ended
    access = student_access(db_session, student, today=date(2026, 8, 1))
    assert access.can_edit is True
    assert [opt.kind.value for opt in access.opts] == ["post_completion", "stem"]


def test_denied_stem_is_hidden_from_the_student(factory, db_session):
    student = _student(factory)
    factory.stem_opt(student, status="denied")
    access = student_access(db_session, student, today=TODAY)
    assert [opt.kind.value for opt in access.opts] == ["post_completion"]


def test_after_a_transfer_only_the_new_program_record_is_shown(factory, db_session):
    student = _student(factory)
    old = student.program_records[-1]
    old.status = ProgramStatus.TRANSFERRED
    new = open_program_record(
        db_session,
        factory.system,
        student,
        education_level=EducationLevel.DOCTORATE,
        start_date=date(2026, 1, 1),
        end_date=date(2030, 1, 1),
    )
    access = student_access(db_session, student, today=TODAY)
    assert access.program.id == new.id
    assert access.opts == ()
    assert access.can_edit is True  # contact details stay editable


def test_approved_stem_extends_the_opt_end(factory, db_session):
    student = _student(factory)
    stem = factory.stem_opt(student, status="approved")
    access = student_access(db_session, student, today=date(2026, 8, 1))
    assert access.can_edit and access.opt_end_date == stem.end_date and access.is_on_stem
    assert OptStatus.APPROVED == access.stem_opt.status


def test_the_closed_notice_gives_the_reason_the_school_and_its_officials(factory, db_session):
    student = _student(factory)
    principal = factory.user(role=Role.PRINCIPAL_DSO, school=student.school, email="pat@example.edu")
    dso = factory.user(role=Role.DSO, school=student.school, email="dee@example.edu")
    factory.user(role=Role.DSO, email="elsewhere@example.edu")  # another school's official is not named
    assert closed_account_for(db_session, student, today=date(2026, 11, 30)) is None  # still read-only
    notice = closed_account_for(db_session, student, today=date(2026, 12, 1))
    assert notice.reason.startswith("Your portal access ended on November 30, 2026")
    assert notice.school_name == student.school.name
    assert {(o.name, o.email) for o in notice.officials} == {
        (principal.display_name, principal.email),
        (dso.display_name, dso.email),
    }


def test_a_terminated_program_closes_access_at_once(factory, db_session):
    """DESIGN rule 5: a change of status closes the account at once, OPT dates notwithstanding."""
    student = _student(factory)
    student.program_records[-1].status = ProgramStatus.TERMINATED
    access = student_access(db_session, student, today=date(2026, 1, 10))
    assert access.closed and not access.can_edit and "terminated" in access.read_only_reason
