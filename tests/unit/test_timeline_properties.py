"""Properties of the one timeline over random students and days (no database).

Whatever the records say, the count, the alerts, the current employer, access and the dated marks that the daily
sweep and the DSO lists read must agree with ``timeline_for`` on every day. The expected used days come from a
day-by-day reading of the timeline between the dates the facts name (the count can change only on those), not
from the timeline's own interval arithmetic.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.models.enums import EmployerReview, EmploymentTime, OptKind, OptStatus, ProgramStatus
from portal.services.timeline import (
    AccessLevel,
    EmploymentState,
    JobFacts,
    MarkKind,
    OptFacts,
    ProgramFacts,
    StudentFacts,
    marks_for,
    timeline_for,
)

EXAMPLES = int(os.environ.get("PORTAL_TIMELINE_EXAMPLES", "200"))
# Reproducible in CI; HYPOTHESIS_PROFILE=explore (with PORTAL_TIMELINE_EXAMPLES=2000, say) draws new examples.
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("HYPOTHESIS_PROFILE") != "explore",
)
BASE = date(2023, 1, 1)
ONE = timedelta(days=1)
ACCESS_ORDER = {AccessLevel.FULL: 0, AccessLevel.READ_ONLY: 1, AccessLevel.CLOSED: 2}


def on(n: int) -> date:
    return BASE + timedelta(days=n)


def maybe_on(n: int | None) -> date | None:
    return None if n is None else on(n)


@st.composite
def opts_of_a_program(draw, first_id: int, earliest: int):
    """A post-completion OPT, sometimes followed by a STEM request, with EAD dates, early ends and decisions."""
    opts = []
    start = earliest + draw(st.integers(0, 200))
    for offset, kind in enumerate((OptKind.POST_COMPLETION, OptKind.STEM)):
        if kind is OptKind.STEM and not draw(st.booleans()):
            break
        status = draw(st.sampled_from([OptStatus.APPROVED, OptStatus.APPROVED, OptStatus.PENDING, OptStatus.DENIED]))
        length = draw(st.sampled_from([365, 730, 200, 400])) if kind is OptKind.STEM else draw(st.integers(60, 365))
        filed = start - draw(st.integers(-40, 120))
        decided = filed + draw(st.integers(0, 250)) if status is not OptStatus.PENDING else None
        actual_start = actual_end = ended = None
        if status is OptStatus.APPROVED and draw(st.integers(0, 3)):
            actual_start = start + draw(st.integers(0, 90))
            actual_end = actual_start + length - 1 - draw(st.integers(0, 30))
        if status is OptStatus.APPROVED and draw(st.integers(0, 4)) == 0:
            ended = start + draw(st.integers(-20, length))
        opts.append(
            OptFacts(
                id=first_id + offset,
                kind=kind,
                status=status,
                requested_start=on(start),
                requested_end=on(start + length - 1),
                actual_start=maybe_on(actual_start),
                actual_end=maybe_on(actual_end),
                ended_on=maybe_on(ended),
                requested_on=on(filed),
                decided_on=maybe_on(decided),
            )
        )
        start += length + draw(st.integers(0, 60))
    return tuple(opts), start


@st.composite
def student_facts(draw):
    programs, cursor = [], 0
    count = draw(st.integers(1, 2))
    for index in range(count):
        opts, cursor = draw(opts_of_a_program(first_id=10 * (index + 1), earliest=cursor))
        if index < count - 1:  # an earlier record ended in a transfer or a change of level
            status = draw(st.sampled_from([ProgramStatus.TRANSFERRED, ProgramStatus.COMPLETED]))
        else:
            ended = [ProgramStatus.COMPLETED, ProgramStatus.TERMINATED]
            status = draw(st.sampled_from([ProgramStatus.ACTIVE] * 4 + ended))
        completed = on(draw(st.integers(0, cursor + 30))) if status is not ProgramStatus.ACTIVE else None
        programs.append(
            ProgramFacts(
                id=index + 1, status=status, start_date=on(0), end_date=on(30), completed_on=completed, opts=opts
            )
        )
    opt_ids = [opt.id for program in programs for opt in program.opts]
    jobs = []
    for job_id in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, cursor + 60))
        end = start + draw(st.integers(0, 500)) if draw(st.booleans()) else None
        jobs.append(
            JobFacts(
                id=100 + job_id,
                opt_id=draw(st.sampled_from([*opt_ids, None])) if opt_ids else None,
                name=f"Job {job_id}",
                start_date=on(start),
                end_date=on(end) if end is not None else None,
                review=draw(st.sampled_from(list(EmployerReview))),
                employment_time=draw(st.sampled_from(list(EmploymentTime))),
            )
        )
    return StudentFacts(student_id=1, programs=tuple(programs), jobs=tuple(jobs))


def change_days(facts: StudentFacts) -> list[date]:
    """Every day on which what the timeline says about unemployment could change: the facts' dates, the day after
    each, and the 181st day after each (a STEM extension runs 180 days past an OPT end)."""
    days = set()
    for program in facts.programs:
        named = [program.completed_on]
        for opt in program.opts:
            named += [
                opt.requested_start,
                opt.requested_end,
                opt.actual_start,
                opt.actual_end,
                opt.ended_on,
                opt.decided_on,
                opt.requested_on,
            ]
        for day in filter(None, named):
            days |= {day, day + ONE, day + timedelta(days=181)}
    for job in facts.jobs:
        days.add(job.start_date)
        if job.end_date is not None:
            days.add(job.end_date + ONE)
    return sorted(days)


def unemployed_on(timeline) -> bool:
    """The rule, read off one day's timeline: a counted day with no current job that counts as employment."""
    working = any(job.state is EmploymentState.CURRENT and job.counts for job in timeline.jobs)
    return timeline.unemployment.counting and not working


def covering(marks, kind: MarkKind, day: date):
    return [mark for mark in marks if mark.kind is kind and mark.starts_on <= day <= mark.ends_on]


class DayByDay:
    """The used and counted days up to any day, summed between change days from each one's timeline."""

    def __init__(self, facts: StudentFacts) -> None:
        self.facts = facts
        self.points = change_days(facts)
        self.timelines = {day: timeline_for(facts, day) for day in self.points}

    def _sum(self, day: date, test) -> int:
        total = 0
        for index, start in enumerate(self.points):
            if start > day:
                break
            following = self.points[index + 1] if index + 1 < len(self.points) else day + ONE
            if test(self.timelines[start]):
                total += (min(following, day + ONE) - start).days
        return total

    def used(self, day: date) -> int:
        return self._sum(day, unemployed_on)

    def counted(self, day: date) -> int:
        return self._sum(day, lambda timeline: timeline.unemployment.counting)


days = st.integers(-30, 2400).map(on)


@PROPERTY
@given(facts=student_facts(), first=days, second=days)
def test_the_count_is_the_sum_of_the_unemployed_days_and_never_goes_down(facts, first, second):
    first, second = sorted((first, second))
    reference = DayByDay(facts)
    for day in (first, second):
        count = timeline_for(facts, day).unemployment
        assert count.used == reference.used(day)
        assert count.used <= reference.counted(day)
        assert count.remaining == max(0, count.allowed - count.used)
    assert timeline_for(facts, first).unemployment.used <= timeline_for(facts, second).unemployment.used


@PROPERTY
@given(facts=student_facts(), day=days)
def test_runs_out_on_is_the_first_day_the_used_days_reach_the_allowance_in_force(facts, day):
    count = timeline_for(facts, day).unemployment
    runs_out = count.runs_out_on
    if count.allowed and count.used >= count.allowed:
        assert runs_out is not None and runs_out <= day
    if runs_out is not None:
        that_day = timeline_for(facts, runs_out).unemployment
        day_before = timeline_for(facts, runs_out - ONE).unemployment
        assert that_day.used >= that_day.allowed > 0
        assert day_before.used < day_before.allowed or day_before.allowed == 0
        if day < runs_out:
            assert count.used < count.allowed or count.allowed == 0


@PROPERTY
@given(facts=student_facts(), day=days)
def test_the_period_marks_agree_with_the_timeline_on_every_day(facts, day):
    marks = marks_for(facts)
    for probe in [day, *change_days(facts)]:
        for probe_day in (probe - ONE, probe):
            timeline = timeline_for(facts, probe_day)
            assert bool(covering(marks, MarkKind.UNEMPLOYED, probe_day)) == unemployed_on(timeline), probe_day
            assert bool(covering(marks, MarkKind.NEARING_LIMIT, probe_day)) == timeline.unemployment.nearing_limit
            shown = covering(marks, MarkKind.CURRENT_EMPLOYER, probe_day)
            expected = [str(timeline.current_employer.id)] if timeline.current_employer else []
            assert [mark.detail for mark in shown] == expected, probe_day


@PROPERTY
@given(facts=student_facts())
def test_each_unemployment_reached_mark_falls_on_the_day_the_count_reaches_it(facts):
    for mark in marks_for(facts):
        if mark.kind is not MarkKind.UNEMPLOYMENT_REACHED:
            continue
        reached = int(mark.detail)
        that_day = timeline_for(facts, mark.starts_on).unemployment
        assert that_day.used >= reached and reached <= that_day.allowed
        assert timeline_for(facts, mark.starts_on - ONE).unemployment.used < reached


@PROPERTY
@given(facts=student_facts(), first=days, second=days)
def test_access_only_moves_from_full_to_read_only_to_closed(facts, first, second):
    probes = {first, second}
    for day in (first, second):  # and the days around each date the access names
        access = timeline_for(facts, day).access
        for named in filter(None, (access.opt_end, access.read_only_until, access.closes_on)):
            probes |= {named + timedelta(days=shift) for shift in (-1, 0, 1, 2, 15, 16)}
    levels = [(day, timeline_for(facts, day).access) for day in sorted(probes)]
    for (_, earlier), (day, later) in zip(levels, levels[1:], strict=False):
        assert ACCESS_ORDER[earlier.level] <= ACCESS_ORDER[later.level], day
        if later.level is AccessLevel.CLOSED and later.closes_on is not None:
            assert day >= later.closes_on
        if later.closes_on is not None and day >= later.closes_on:
            assert later.level is AccessLevel.CLOSED
