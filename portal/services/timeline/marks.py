"""Dated marks: the timeline's shape as rows the daily sweep and the DSO lists can index; they depend on the facts
only, never on today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from portal.models.enums import ProgramStatus
from portal.services.clock import END_OF_TIME
from portal.services.timeline.compute import access_on, duties_on, employment_state
from portal.services.timeline.facts import ProgramFacts, StudentFacts
from portal.services.timeline.limits import ACCESS_ENDING_DAYS, EMAIL_THRESHOLDS, STEM_EXTRA_ALLOWANCE
from portal.services.timeline.shape import Shape
from portal.services.timeline.view import EmploymentState

# Which rules computed a student's stored marks. Bump it whenever a change here (or in what marks_for reads) alters
# which marks a student gets: the worker then recomputes every student's stored marks once before its next sweep
# (timeline.database.refresh_stale_marks), since only students whose records change get theirs rewritten otherwise.
# 1: the rules migration 0012 filled the table with. 2: access marks after a pending STEM extension runs out, the
# access-closed mark of a terminated record, days worked under a denied STEM request's employers not unemployed.
MARKS_VERSION = 2


class MarkKind(StrEnum):
    UNEMPLOYED = "unemployed"  # a period: counted days with no counting job (the "no current employer" alert)
    NEARING_LIMIT = "nearing_limit"  # a period: 30 or fewer unemployment days left
    UNEMPLOYMENT_REACHED = "unemployment_reached"  # a day: the used days reach ``detail`` (60, 80, the limit)
    OPT_ENDED = "opt_ended"  # a day: the first day after the authorized end
    ACCESS_ENDING = "access_ending"  # a day: 30 days before access closes
    ACCESS_CLOSED = "access_closed"  # a day: access closes
    ACCOUNT_DUE = "account_due"  # a day: rule 1, the portal account is created
    DUTY_REMINDER = "duty_reminder"  # a day: 30 days before a STEM duty's mark
    CURRENT_EMPLOYER = "current_employer"  # a period: ``detail`` is the id of the employer shown as current


@dataclass(frozen=True)
class Mark:
    kind: MarkKind
    starts_on: date
    ends_on: date
    detail: str = ""


def marks_for(facts: StudentFacts) -> list[Mark]:
    """The student's dated marks and periods; they depend on the facts only, never on today."""
    program = facts.current_program
    shape = Shape(facts, program)
    marks = [Mark(MarkKind.UNEMPLOYED, start, last) for start, last in shape.unemployed]
    marks += [
        Mark(MarkKind.CURRENT_EMPLOYER, start, last, str(job_id))
        for start, last, job_id in _current_employer_periods(shape)
    ]
    marks += [Mark(MarkKind.NEARING_LIMIT, start, last) for start, last in shape.nearing_limit_periods()]
    thresholds = {count: str(count) for count in EMAIL_THRESHOLDS}
    if shape.base_allowance:
        thresholds[shape.base_allowance] = str(shape.base_allowance)
        if shape.stem_starts_on is not None:
            thresholds[shape.base_allowance + STEM_EXTRA_ALLOWANCE] = str(shape.base_allowance + STEM_EXTRA_ALLOWANCE)
        for count, detail in sorted(thresholds.items()):
            day = shape.first_day_used_reaches(count)
            if day is None or count > shape.allowed_on(day):
                continue
            if count not in EMAIL_THRESHOLDS and count != shape.allowed_on(day):
                continue  # 90 days is no limit once the STEM OPT has started: only the 150 is
            marks.append(Mark(MarkKind.UNEMPLOYMENT_REACHED, day, day, detail))
    if shape.account_due_on is not None:
        marks.append(Mark(MarkKind.ACCOUNT_DUE, shape.account_due_on, shape.account_due_on))
    end_day = _end_marks(shape, program)
    marks += end_day
    for duty in duties_on(facts, END_OF_TIME - timedelta(days=1)):
        if duty.closed_reason is None:
            marks.append(Mark(MarkKind.DUTY_REMINDER, duty.opens_on, duty.opens_on, f"{duty.kind}:{duty.months or ''}"))
    return marks


def _current_employer_periods(shape: Shape) -> list[tuple[date, date, int]]:
    """The periods over which each job is the one ``Timeline.current_employer`` shows, by the same choice."""
    if not shape.jobs:
        return []
    cuts = {job.start_date for job in shape.jobs}
    cuts |= {
        job.end_date + timedelta(days=1)
        for job in shape.jobs
        if job.end_date is not None and job.end_date < END_OF_TIME
    }
    cuts |= {start for start, _ in shape.stem_windows}
    cuts |= {last + timedelta(days=1) for _, last in shape.stem_windows if last < END_OF_TIME}
    days = sorted(cuts)
    periods: list[tuple[date, date, int]] = []
    for index, day in enumerate(days):
        last = days[index + 1] - timedelta(days=1) if index + 1 < len(days) else END_OF_TIME
        current = [job for job in shape.jobs if employment_state(job, day) is EmploymentState.CURRENT]
        if not current:
            continue
        chosen = max(current, key=lambda job: (shape.job_counts(job, day), job.start_date, job.id))
        if periods and periods[-1][2] == chosen.id and periods[-1][1] + timedelta(days=1) == day:
            periods[-1] = (periods[-1][0], last, chosen.id)
        else:
            periods.append((day, last, chosen.id))
    return periods


def _end_marks(shape: Shape, program: ProgramFacts | None) -> list[Mark]:
    probe = END_OF_TIME - timedelta(days=1)
    access = access_on(shape, program, probe)
    if program is not None and program.status is ProgramStatus.TERMINATED:
        # A termination closes access at once: the notice goes on the day the record ended (rule 5); no notice
        # before it can be true.
        day = program.completed_on
        return [Mark(MarkKind.ACCESS_CLOSED, day, day, day.isoformat())] if day is not None else []
    if access.closes_on is None or access.opt_end is None:
        return []
    marks = [
        Mark(
            MarkKind.ACCESS_ENDING,
            access.closes_on - timedelta(days=ACCESS_ENDING_DAYS),
            access.closes_on - timedelta(days=ACCESS_ENDING_DAYS),
            access.read_only_until.isoformat(),
        ),
        Mark(MarkKind.ACCESS_CLOSED, access.closes_on, access.closes_on, access.read_only_until.isoformat()),
    ]
    ended_on = _authorization_ended_on(shape, program)
    if ended_on is not None:
        day = ended_on + timedelta(days=1)
        marks.append(Mark(MarkKind.OPT_ENDED, day, day, ended_on.isoformat()))
    return marks


def _authorization_ended_on(shape: Shape, program: ProgramFacts | None) -> date | None:
    """The OPT's last valid day for the "OPT ended" notice: the end date, or the early completion (rule 5).

    None while a timely STEM request is pending (authorization goes on), and after a transfer or termination (the
    student hears from the new school, or the account closes at once).
    """
    if shape.extension_pending or program is None or not shape.approved:
        return None
    if program.status not in (ProgramStatus.ACTIVE, ProgramStatus.COMPLETED):
        return None
    ends = [opt.last_valid_day for opt in shape.approved]
    if shape.extension is not None:
        ends.append(shape.extension.until)  # a decided extension was authorized time
    return max(ends)
