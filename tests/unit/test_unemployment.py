"""Unemployment days (DESIGN rule 16) as the timeline counts them: a table of cases, no database.

These were the dashboard's own count before the timeline; the same cases now pin portal.services.timeline.
"""

from datetime import date, timedelta

import pytest

from portal.models.enums import EmployerReview, EmploymentTime, OptKind, OptStatus, ProgramStatus
from portal.services.timeline import JobFacts, OptFacts, ProgramFacts, StudentFacts, timeline_for

D0 = date(2026, 1, 1)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def opt(
    start,
    end,
    kind=OptKind.POST_COMPLETION,
    status=OptStatus.APPROVED,
    *,
    ended_on=None,
    actual_start=None,
    opt_id=None,
):
    return OptFacts(
        id=opt_id or (2 if kind is OptKind.STEM else 1),
        kind=kind,
        status=status,
        requested_start=day(start),
        requested_end=day(end),
        actual_start=None if actual_start is None else day(actual_start),
        ended_on=None if ended_on is None else day(ended_on),
        requested_on=day(start - 90),
    )


_job_ids = iter(range(1, 10_000))


def job(start, end=None, *, opt_id=1, review=EmployerReview.NOT_NEEDED, time=EmploymentTime.FULL_TIME):
    return JobFacts(
        id=next(_job_ids),
        opt_id=opt_id,
        name="Acme",
        start_date=day(start),
        end_date=None if end is None else day(end),
        review=review,
        employment_time=time,
    )


def facts(opts, jobs=()):
    program = ProgramFacts(id=1, status=ProgramStatus.ACTIVE, start_date=day(-700), end_date=day(-60), opts=tuple(opts))
    return StudentFacts(student_id=1, programs=(program,), jobs=tuple(jobs))


POST = opt(0, 364)
STEM = opt(365, 365 + 729, OptKind.STEM)

CASES = [
    # (name, authorizations, jobs, today, used, allowed)
    ("no job yet: every day since the OPT start counts", [POST], [], 9, 10, 90),
    ("before the OPT starts nothing counts", [POST], [], -5, 0, 90),
    ("open-ended job from day one: nothing counts", [POST], [job(0)], 200, 0, 90),
    ("a gap between two jobs counts", [POST], [job(0, 29), job(40)], 100, 10, 90),
    ("overlapping jobs count once", [POST], [job(0, 50), job(20, 80)], 99, 19, 90),
    ("a job starting before the OPT covers only OPT days", [POST], [job(-100, 9)], 19, 10, 90),
    ("a job ending before the OPT covers nothing", [POST], [job(-100, -1)], 9, 10, 90),
    ("part-time work counts as employment", [POST], [job(0, time=EmploymentTime.PART_TIME)], 30, 0, 90),
    ("a job starting in the future covers nothing yet", [POST], [job(50)], 9, 10, 90),
    ("days after the OPT ends do not count", [POST], [], 500, 365, 90),
    (
        "a pending STEM OPT does not raise the allowance",
        [POST, opt(365, 1094, OptKind.STEM, OptStatus.PENDING)],
        [],
        30,
        31,
        90,
    ),
    ("approved STEM: 150 in all, counted cumulatively", [POST, STEM], [job(0, 364 - 20)], 365 + 9, 30, 150),
    ("approved STEM that has not started yet: still 90 (finding 9)", [POST, STEM], [job(0, 364 - 20)], 300, 0, 90),
    ("denied STEM adds nothing", [POST, opt(365, 1094, OptKind.STEM, OptStatus.DENIED)], [], 30, 31, 90),
    ("an OPT ended early stops counting", [opt(0, 364, ended_on=19)], [], 100, 20, 90),
    ("no approved OPT: nothing allowed or used", [opt(0, 364, status=OptStatus.PENDING)], [], 30, 0, 0),
    (
        "late approval: counted from the EAD start, not the requested one (finding 2)",
        [opt(0, 364, actual_start=65)],
        [],
        70,
        6,
        90,
    ),
    (
        "on STEM days only an accepted employer counts",
        [POST, STEM],
        [job(0, 364), job(365, opt_id=2, review=EmployerReview.WAITING)],
        365 + 9,
        10,
        150,
    ),
    (
        "a returned STEM employer never counts (finding 6)",
        [POST, STEM],
        [job(0, 364), job(365, opt_id=2, review=EmployerReview.RETURNED)],
        365 + 9,
        10,
        150,
    ),
]


@pytest.mark.parametrize(("name", "opts", "jobs", "today", "used", "allowed"), CASES, ids=[case[0] for case in CASES])
def test_unemployment_days_table(name, opts, jobs, today, used, allowed):
    days = timeline_for(facts(opts, jobs), day(today)).unemployment
    assert (days.used, days.allowed) == (used, allowed)
    assert days.remaining == max(0, allowed - used)


@pytest.mark.parametrize(("used", "warning"), [(59, False), (60, True), (90, True)])
def test_warning_from_sixty_days(used, warning):
    days = timeline_for(facts([POST], [job(used)]), day(200)).unemployment
    assert days.used == used
    assert days.warning is warning


def test_remaining_never_negative_and_exhausted_flag():
    days = timeline_for(facts([POST]), day(120)).unemployment
    assert days.used == 121 and days.remaining == 0 and days.exhausted


@pytest.mark.parametrize(
    ("name", "opts", "jobs", "runs_out_on"),
    [
        ("no job: the 90th day of the OPT", [POST], [], 89),
        ("a job with a gap: pushed back by the days employed", [POST], [job(10, 39)], 119),
        ("an open-ended job: never", [POST], [job(0)], None),
        ("an upcoming job counts in the projection", [POST], [job(50)], None),
        ("late approval: from the EAD start", [opt(0, 364, actual_start=65)], [], 65 + 89),
        ("STEM: 150 from the STEM start once the 90 were not used up", [POST, STEM], [job(0, 364)], 365 + 149),
    ],
)
def test_the_run_out_date_assumes_no_further_job(name, opts, jobs, runs_out_on):
    days = timeline_for(facts(opts, jobs), day(0)).unemployment
    assert days.runs_out_on == (None if runs_out_on is None else day(runs_out_on))
