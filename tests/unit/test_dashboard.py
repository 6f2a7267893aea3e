"""Issue 13: what the dashboard's first screen reads from the timeline on named days (current OPT period, upcoming
jobs, employed today, access ending within 30 days) and the one primary action the selector picks from it."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from portal.models.enums import OptKind, OptStatus, ProgramStatus
from portal.services.dashboard import due_next, primary_action
from portal.services.timeline import (
    DutyKind,
    DutyState,
    JobFacts,
    OptFacts,
    ProgramFacts,
    StudentFacts,
    timeline_for,
)

D = date.fromisoformat
POST = OptFacts(
    id=1,
    kind=OptKind.POST_COMPLETION,
    status=OptStatus.APPROVED,
    requested_start=D("2026-01-01"),
    requested_end=D("2026-12-31"),
    actual_start=D("2026-01-01"),
    actual_end=D("2026-12-31"),
    decided_on=D("2025-12-01"),
)
STEM = OptFacts(
    id=2,
    kind=OptKind.STEM,
    status=OptStatus.APPROVED,
    requested_start=D("2027-01-01"),
    requested_end=D("2028-12-31"),
    actual_start=D("2027-01-01"),
    actual_end=D("2028-12-31"),
    requested_on=D("2026-10-01"),
    decided_on=D("2026-12-01"),
)


def _facts(*opts, jobs=(), status=ProgramStatus.ACTIVE):
    program = ProgramFacts(id=1, status=status, start_date=D("2024-01-01"), end_date=D("2025-12-20"), opts=opts)
    return StudentFacts(student_id=1, programs=(program,), jobs=tuple(jobs))


def _job(name, start, end=None, job_id=10, opt_id=1):
    return JobFacts(id=job_id, opt_id=opt_id, name=name, start_date=D(start), end_date=D(end) if end else None)


# (facts, day): current OPT id, upcoming job names, employed today, access ending soon
CASES = {
    "before the OPT starts": (_facts(POST), "2025-12-15", 1, [], False, False),
    "in the OPT, no job": (_facts(POST), "2026-02-01", 1, [], False, False),
    "in the OPT, a job ahead": (
        _facts(POST, jobs=[_job("Ahead", "2026-03-01")]),
        "2026-02-01",
        1,
        ["Ahead"],
        False,
        False,
    ),
    "in the OPT, a current job": (_facts(POST, jobs=[_job("Now", "2026-01-15")]), "2026-02-01", 1, [], True, False),
    "a job that ended": (
        _facts(POST, jobs=[_job("Was", "2026-01-02", "2026-01-20")]),
        "2026-02-01",
        1,
        [],
        False,
        False,
    ),
    "post-completion valid, STEM approved ahead": (_facts(POST, STEM), "2026-06-01", 1, [], False, False),
    "on STEM": (_facts(POST, STEM), "2027-02-01", 2, [], False, False),
    # OPT ended December 31, 2026: read-only until June 30, 2027, closes July 1; the 30 days start June 1.
    "read-only, 31 days before it closes": (_facts(POST), "2027-05-31", 1, [], False, False),
    "read-only, 30 days before it closes": (_facts(POST), "2027-06-01", 1, [], False, True),
    "read-only, last day": (_facts(POST), "2027-06-30", 1, [], False, True),
    "closed": (_facts(POST), "2027-07-01", 1, [], False, False),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_first_screen_facts_on_named_days(case):
    facts, day, opt_id, upcoming, employed, ending = CASES[case]
    timeline = timeline_for(facts, D(day))
    assert timeline.current_opt.facts.id == opt_id
    assert [job.name for job in timeline.upcoming_jobs] == upcoming
    assert timeline.employed_today is employed
    assert timeline.access_ending_soon is ending


def test_no_current_opt_without_one():
    assert timeline_for(_facts(), D("2026-02-01")).current_opt is None


def _waiting(kind):
    return SimpleNamespace(duty=SimpleNamespace(kind=kind, state=DutyState.OPEN, months=6, due_on=D("2027-07-11")))


# (facts, day, STEM duties waiting for the student): the primary action's name
ACTIONS = {
    "unemployed, may report": (_facts(POST), "2026-02-01", [], "add_employer"),
    "pending OPT, no job": (
        _facts(
            OptFacts(
                id=1,
                kind=OptKind.POST_COMPLETION,
                status=OptStatus.PENDING,
                requested_start=D("2026-03-01"),
                requested_end=D("2027-02-28"),
            )
        ),
        "2026-02-01",
        [],
        "add_employer",
    ),
    "employed": (_facts(POST, jobs=[_job("Now", "2026-01-15")]), "2026-02-01", [], None),
    "a job ahead": (_facts(POST, jobs=[_job("Ahead", "2026-03-01")]), "2026-02-01", [], None),
    "STEM confirmation open": (
        _facts(POST, STEM, jobs=[_job("S", "2027-01-01", opt_id=2)]),
        "2027-06-25",
        [_waiting(DutyKind.STEM_CONFIRMATION)],
        "confirm_details",
    ),
    "STEM evaluation open": (
        _facts(POST, STEM, jobs=[_job("S", "2027-01-01", opt_id=2)]),
        "2027-12-25",
        [_waiting(DutyKind.I983_EVALUATION)],
        "upload_evaluation",
    ),
    "within the 15-day grace": (_facts(POST, jobs=[_job("Was", "2026-01-02", "2026-12-31")]), "2027-01-10", [], None),
    "read-only": (_facts(POST), "2027-02-01", [], "save_record"),
    "access ending": (_facts(POST), "2027-06-15", [], "save_record"),
    "program completed early": (_facts(POST, status=ProgramStatus.COMPLETED), "2026-06-01", [], "save_record"),
    "closed": (_facts(POST), "2027-07-01", [], None),
}


@pytest.mark.parametrize("case", ACTIONS, ids=list(ACTIONS))
def test_one_primary_action_on_named_days(case):
    facts, day, waiting, expected = ACTIONS[case]
    action = primary_action(timeline_for(facts, D(day)), waiting)
    assert (action.name if action else None) == expected


def test_what_is_due_next_is_in_date_order_with_the_standing_duty_last():
    timeline = timeline_for(_facts(POST, STEM, jobs=[_job("Ahead", "2026-09-01")]), D("2026-06-01"))
    items = due_next(timeline, [])
    dated = [item.on for item in items if item.on]
    assert dated == sorted(dated)
    assert [item.text for item in items][:3] == [
        "Ahead starts",
        "6-month STEM OPT confirmation of your details: opens June 1, 2027, due",
        "Your work authorization (OPT) ends",
    ]
    assert [item.on for item in items][:3] == [D("2026-09-01"), D("2027-07-11"), D("2028-12-31")]
    assert items[-1].on is None and "within 10 days" in items[-1].text


def test_a_read_only_student_is_told_when_access_ends_and_asked_nothing():
    items = due_next(timeline_for(_facts(POST), D("2027-02-01")), [])
    assert [(item.text, item.on) for item in items] == [
        ("Your portal access ends: save your record before then", D("2027-06-30"))
    ]
