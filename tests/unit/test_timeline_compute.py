"""The timeline's computation on named days (DESIGN rules 5, 15, 16, 17): each OPT's state, a job's state, access,
and the STEM duties. Every expected value is worked out by hand from the rule; none comes from the code."""

from __future__ import annotations

from datetime import date

import pytest

from portal.models.enums import OptKind, OptStatus, ProgramStatus
from portal.services.timeline import JobFacts, OptFacts, ProgramFacts, StudentFacts, timeline_for
from portal.services.timeline.compute import employment_state
from portal.services.timeline.view import AccessLevel, DutyKind, DutyState, EmploymentState, OptState

D = date.fromisoformat
ACTIVE, COMPLETED, TRANSFERRED, TERMINATED = (
    ProgramStatus.ACTIVE,
    ProgramStatus.COMPLETED,
    ProgramStatus.TRANSFERRED,
    ProgramStatus.TERMINATED,
)


def _post(status=OptStatus.APPROVED, *, ended_on=None):
    """Post-completion OPT for 2026."""
    return OptFacts(1, OptKind.POST_COMPLETION, status, D("2026-01-01"), D("2026-12-31"), ended_on=ended_on)


def _stem(status=OptStatus.APPROVED, *, ended_on=None):
    """STEM OPT for 2027 and 2028 (24 months)."""
    return OptFacts(2, OptKind.STEM, status, D("2027-01-01"), D("2028-12-31"), ended_on=ended_on)


def _facts(*opts, status=ACTIVE, completed_on=None, jobs=()):
    program = ProgramFacts(10, status, D("2022-09-01"), D("2025-12-15"), completed_on=completed_on, opts=tuple(opts))
    return StudentFacts(student_id=1, programs=(program,), jobs=tuple(jobs))


@pytest.mark.parametrize(
    ("start", "end", "day", "state"),
    [
        ("2026-02-01", "2026-05-31", "2026-01-31", EmploymentState.UPCOMING),
        ("2026-02-01", "2026-05-31", "2026-02-01", EmploymentState.CURRENT),
        ("2026-02-01", "2026-05-31", "2026-05-31", EmploymentState.CURRENT),
        ("2026-02-01", "2026-05-31", "2026-06-01", EmploymentState.PAST),
        ("2026-02-01", None, "2030-01-01", EmploymentState.CURRENT),
    ],
)
def test_a_job_is_upcoming_current_or_past_by_its_dates_alone(start, end, day, state):
    job = JobFacts(5, 1, "Acme", D(start), D(end) if end else None)
    assert employment_state(job, D(day)) is state


@pytest.mark.parametrize(
    ("opt", "program", "day", "state"),
    [
        (_post(), ACTIVE, "2025-12-31", OptState.APPROVED),
        (_post(), ACTIVE, "2026-01-01", OptState.IN_VALIDITY),
        (_post(), ACTIVE, "2026-12-31", OptState.IN_VALIDITY),
        (_post(), ACTIVE, "2027-01-01", OptState.ENDED),
        (_post(ended_on=D("2026-06-30")), COMPLETED, "2026-06-30", OptState.IN_VALIDITY),
        (_post(ended_on=D("2026-06-30")), COMPLETED, "2026-07-01", OptState.COMPLETED_EARLY),
        (_post(ended_on=D("2025-12-31")), COMPLETED, "2026-03-01", OptState.CANCELLED),  # ended before it started
        (_post(OptStatus.PENDING), ACTIVE, "2026-03-01", OptState.PENDING),
        (_post(OptStatus.PENDING), COMPLETED, "2026-03-01", OptState.CANCELLED),
        (_post(OptStatus.DENIED), ACTIVE, "2026-03-01", OptState.DENIED),
    ],
)
def test_each_opt_state_on_named_days(opt, program, day, state):
    [view] = timeline_for(_facts(opt, status=program), D(day)).opts
    assert view.state is state


def test_a_denied_stem_request_is_not_shown_among_the_opts():
    timeline = timeline_for(_facts(_post(), _stem(OptStatus.DENIED)), D("2027-02-01"))
    assert [view.facts.id for view in timeline.opts] == [1]


@pytest.mark.parametrize(
    ("day", "level"),
    [
        ("2026-06-01", AccessLevel.FULL),
        ("2027-01-15", AccessLevel.FULL),  # the OPT end date plus 15 days: changes still possible
        ("2027-01-16", AccessLevel.READ_ONLY),
        ("2027-06-30", AccessLevel.READ_ONLY),  # six months after the end date
        ("2027-07-01", AccessLevel.CLOSED),
    ],
)
def test_access_is_full_then_read_only_then_closed_six_months_after_the_opt_end(day, level):
    access = timeline_for(_facts(_post()), D(day)).access
    assert access.level is level
    assert (access.opt_end, access.read_only_until, access.closes_on) == (
        D("2026-12-31"),
        D("2027-06-30"),
        D("2027-07-01"),
    )


@pytest.mark.parametrize(
    ("facts", "day", "level", "words"),
    [
        (_facts(_post(), status=TERMINATED), "2026-03-01", AccessLevel.CLOSED, "terminated"),
        (
            _facts(_post(), status=COMPLETED, completed_on=D("2026-05-15")),
            "2026-06-01",
            AccessLevel.READ_ONLY,
            "completed your program record on May 15, 2026",
        ),
        (_facts(_post(), status=TRANSFERRED), "2026-06-01", AccessLevel.READ_ONLY, "no longer active"),
        (_facts(_post()), "2027-07-01", AccessLevel.CLOSED, "ended on June 30, 2027"),
        (_facts(_post(OptStatus.PENDING)), "2030-01-01", AccessLevel.FULL, None),
        (StudentFacts(student_id=1), "2030-01-01", AccessLevel.FULL, None),
    ],
)
def test_access_by_the_program_record_with_the_reason_in_words(facts, day, level, words):
    access = timeline_for(facts, D(day)).access
    assert access.level is level
    if words is None:
        assert access.reason in (None, "")
    else:
        assert words in access.reason


STEM_DUTIES = [
    (DutyKind.STEM_CONFIRMATION, 6, "2027-07-01", "2027-07-11"),
    (DutyKind.I983_EVALUATION, 12, "2028-01-01", "2028-01-11"),
    (DutyKind.STEM_CONFIRMATION, 12, "2028-01-01", "2028-01-11"),
    (DutyKind.STEM_CONFIRMATION, 18, "2028-07-01", "2028-07-11"),
    (DutyKind.I983_FINAL_EVALUATION, None, "2028-12-31", "2029-01-10"),
    (DutyKind.STEM_CONFIRMATION, 24, "2029-01-01", "2029-01-11"),
]


def test_a_two_year_stem_opt_has_four_confirmations_and_two_evaluations_due_ten_days_after_each_mark():
    duties = timeline_for(_facts(_post(), _stem()), D("2027-02-01")).duties
    assert [(duty.kind, duty.months, duty.mark, duty.due_on) for duty in duties] == [
        (kind, months, D(mark), D(due)) for kind, months, mark, due in STEM_DUTIES
    ]
    assert all((duty.mark - duty.opens_on).days == 30 for duty in duties)


@pytest.mark.parametrize(
    ("day", "state"),
    [
        ("2027-05-31", DutyState.UPCOMING),
        ("2027-06-01", DutyState.OPEN),  # 30 days before the six-month mark
        ("2027-07-11", DutyState.OPEN),  # the due day
        ("2027-07-12", DutyState.OVERDUE),
    ],
)
def test_the_six_month_confirmation_opens_30_days_before_and_is_overdue_after_its_due_day(day, state):
    [six_months] = [duty for duty in timeline_for(_facts(_post(), _stem()), D(day)).duties if duty.months == 6]
    assert six_months.state is state


def test_a_stem_opt_shorter_than_a_year_has_only_the_final_evaluation():
    short = OptFacts(2, OptKind.STEM, OptStatus.APPROVED, D("2027-01-01"), D("2027-09-30"))
    duties = timeline_for(_facts(_post(), short), D("2027-02-01")).duties
    assert [(duty.kind, duty.months) for duty in duties] == [
        (DutyKind.STEM_CONFIRMATION, 6),
        (DutyKind.I983_FINAL_EVALUATION, None),
    ]


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        (_facts(_post(), _stem(), status=TRANSFERRED), "The student transferred to another school."),
        (_facts(_post(), _stem(), status=TERMINATED), "The program record was terminated."),
        (
            _facts(_post(), _stem(ended_on=D("2027-10-15"))),
            "The STEM OPT ended early, on October 15, 2027.",
        ),
    ],
)
def test_every_stem_duty_closes_with_the_reason_the_record_gives(facts, reason):
    duties = timeline_for(facts, D("2027-02-01")).duties
    assert duties and all(duty.state is DutyState.CLOSED and duty.closed_reason == reason for duty in duties)


def test_a_pending_stem_request_has_no_duties_yet():
    assert timeline_for(_facts(_post(), _stem(OptStatus.PENDING)), D("2027-02-01")).duties == ()
