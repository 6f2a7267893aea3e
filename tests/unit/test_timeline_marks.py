"""Dated marks: the days the emails and DSO lists key on, from the facts alone. Expected days are counted by hand."""

from __future__ import annotations

from datetime import date

from portal.models.enums import OptKind, OptStatus, ProgramStatus
from portal.services.clock import END_OF_TIME
from portal.services.timeline import JobFacts, MarkKind, OptFacts, ProgramFacts, StudentFacts, marks_for
from portal.services.timeline.marks import Mark

D = date.fromisoformat
POST = OptFacts(1, OptKind.POST_COMPLETION, OptStatus.APPROVED, D("2026-01-01"), D("2026-12-31"))
STEM = OptFacts(2, OptKind.STEM, OptStatus.APPROVED, D("2027-01-01"), D("2028-12-31"))


def _facts(*opts, status=ProgramStatus.ACTIVE, jobs=()):
    program = ProgramFacts(10, status, D("2022-09-01"), D("2025-12-15"), opts=opts)
    return StudentFacts(student_id=1, programs=(program,), jobs=tuple(jobs))


def _of(marks, *kinds):
    return sorted(
        (mark for mark in marks if mark.kind in kinds), key=lambda mark: (mark.starts_on, mark.kind, mark.detail)
    )


def test_without_a_job_the_60th_80th_and_90th_unemployed_days_are_marked():
    marks = marks_for(_facts(POST))
    # January has 31 days and February 28: March 1 is day 60, March 21 day 80, March 31 day 90.
    assert _of(marks, MarkKind.UNEMPLOYMENT_REACHED) == [
        Mark(MarkKind.UNEMPLOYMENT_REACHED, D("2026-03-01"), D("2026-03-01"), "60"),
        Mark(MarkKind.UNEMPLOYMENT_REACHED, D("2026-03-21"), D("2026-03-21"), "80"),
        Mark(MarkKind.UNEMPLOYMENT_REACHED, D("2026-03-31"), D("2026-03-31"), "90"),
    ]
    assert _of(marks, MarkKind.UNEMPLOYED)[0].starts_on == D("2026-01-01")


def test_a_job_from_the_first_month_leaves_one_unemployed_period_and_no_threshold():
    job = JobFacts(5, 1, "Acme", D("2026-02-01"), None)
    marks = marks_for(_facts(POST, jobs=[job]))
    assert _of(marks, MarkKind.UNEMPLOYED) == [Mark(MarkKind.UNEMPLOYED, D("2026-01-01"), D("2026-01-31"))]
    assert _of(marks, MarkKind.UNEMPLOYMENT_REACHED, MarkKind.NEARING_LIMIT) == []
    assert _of(marks, MarkKind.CURRENT_EMPLOYER) == [Mark(MarkKind.CURRENT_EMPLOYER, D("2026-02-01"), END_OF_TIME, "5")]


def test_the_newer_of_two_overlapping_jobs_is_the_current_employer_until_it_ends():
    older = JobFacts(5, 1, "Acme", D("2026-01-01"), None)
    newer = JobFacts(6, 1, "Initech", D("2026-04-01"), D("2026-06-30"))
    assert _of(marks_for(_facts(POST, jobs=[older, newer])), MarkKind.CURRENT_EMPLOYER) == [
        Mark(MarkKind.CURRENT_EMPLOYER, D("2026-01-01"), D("2026-03-31"), "5"),
        Mark(MarkKind.CURRENT_EMPLOYER, D("2026-04-01"), D("2026-06-30"), "6"),
        Mark(MarkKind.CURRENT_EMPLOYER, D("2026-07-01"), END_OF_TIME, "5"),
    ]


def test_the_end_of_the_opt_marks_opt_ended_then_access_ending_and_closed_six_months_on():
    assert _of(marks_for(_facts(POST)), MarkKind.OPT_ENDED, MarkKind.ACCESS_ENDING, MarkKind.ACCESS_CLOSED) == [
        Mark(MarkKind.OPT_ENDED, D("2027-01-01"), D("2027-01-01"), "2026-12-31"),
        Mark(MarkKind.ACCESS_ENDING, D("2027-06-01"), D("2027-06-01"), "2027-06-30"),  # 30 days before it closes
        Mark(MarkKind.ACCESS_CLOSED, D("2027-07-01"), D("2027-07-01"), "2027-06-30"),
    ]


def test_a_transferred_student_gets_no_opt_ended_mark():
    kinds = {mark.kind for mark in marks_for(_facts(POST, status=ProgramStatus.TRANSFERRED))}
    assert MarkKind.OPT_ENDED not in kinds


def test_each_stem_duty_has_a_reminder_30_days_before_its_mark():
    reminders = _of(marks_for(_facts(POST, STEM)), MarkKind.DUTY_REMINDER)
    assert [(mark.starts_on, mark.detail) for mark in sorted(reminders, key=lambda m: (m.starts_on, m.detail))] == [
        (D("2027-06-01"), "stem_confirmation:6"),
        (D("2027-12-02"), "i983_evaluation:12"),
        (D("2027-12-02"), "stem_confirmation:12"),
        (D("2028-06-01"), "stem_confirmation:18"),
        (D("2028-12-01"), "i983_final_evaluation:"),
        (D("2028-12-02"), "stem_confirmation:24"),
    ]


def test_on_stem_opt_90_days_is_no_limit_and_the_150th_day_is_marked():
    job = JobFacts(5, 1, "Acme", D("2026-01-01"), D("2026-12-31"))  # employed through the post-completion OPT
    reached = _of(marks_for(_facts(POST, STEM, jobs=[job])), MarkKind.UNEMPLOYMENT_REACHED)
    # From January 1, 2027: March 1 is day 60, March 21 day 80, May 30 day 150 (31 + 28 + 31 + 30 + 30).
    assert [(mark.starts_on, mark.detail) for mark in reached] == [
        (D("2027-03-01"), "60"),
        (D("2027-03-21"), "80"),
        (D("2027-05-30"), "150"),
    ]
