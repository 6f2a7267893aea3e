"""The computation: a student's timeline on a day, from the facts alone (DESIGN rules 1, 3-6, 15-17); pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from portal.models.enums import OptKind, OptStatus, ProgramStatus
from portal.services.clock import READ_ONLY_MONTHS, STEM_CONFIRMATION_MONTHS, add_months, long_date
from portal.services.timeline.facts import JobFacts, OptFacts, ProgramFacts, StudentFacts
from portal.services.timeline.limits import DUTY_DUE_DAYS, DUTY_REMINDER_DAYS, EDIT_GRACE_DAYS
from portal.services.timeline.shape import Shape, days_up_to
from portal.services.timeline.view import (
    Access,
    AccessLevel,
    Duty,
    DutyKind,
    DutyState,
    EmploymentState,
    Job,
    OptState,
    OptView,
    Timeline,
    UnemploymentCount,
)


def timeline_for(facts: StudentFacts, today: date) -> Timeline:
    """The student's timeline on ``today`` (a US Eastern date); pure, from the facts alone."""
    program = facts.current_program
    shape = Shape(facts, program)
    opts = tuple(OptView(opt, _opt_state(opt, program, today)) for opt in shape.visible_opts)
    # Only a STEM request still pending extends authorization; once decided, its window is history.
    extension = shape.extension if shape.extension_pending else None
    unemployed = shape.unemployed
    used = days_up_to(unemployed, today)
    counting = any(start <= today <= last for start, last in shape.counted_windows)
    unemployment = UnemploymentCount(
        used=used, allowed=shape.allowed_on(today), runs_out_on=shape.runs_out_on, counting=counting
    )
    jobs = tuple(
        Job(job, employment_state(job, today), shape.job_counts(job, _nearest_day_of(job, today))) for job in shape.jobs
    )
    return Timeline(
        today=today,
        student_id=facts.student_id,
        program=program,
        opts=opts,
        extension=extension,
        jobs=jobs,
        unemployment=unemployment,
        access=access_on(shape, program, today),
        duties=tuple(duties_on(facts, today)),
        account_due_on=shape.account_due_on,
        opt_end=shape.last_authorized_day,
    )


def _opt_state(opt: OptFacts, program: ProgramFacts | None, today: date) -> OptState:
    ended_program = program is not None and program.status is not ProgramStatus.ACTIVE
    if opt.status is OptStatus.DENIED:
        return OptState.DENIED
    if opt.status is OptStatus.PENDING:
        return OptState.CANCELLED if ended_program else OptState.PENDING
    if opt.ended_on is not None and opt.ended_on < opt.start:
        return OptState.CANCELLED
    if today < opt.start:
        return OptState.CANCELLED if ended_program and opt.ended_on is not None else OptState.APPROVED
    if today <= opt.last_valid_day:
        return OptState.IN_VALIDITY
    if opt.ended_on is not None and opt.ended_on < opt.end:
        return OptState.COMPLETED_EARLY
    return OptState.ENDED


def opts_running_on(program: ProgramFacts, day: date) -> tuple[int, ...]:
    """The approved OPTs of ``program`` that ending the record on ``day`` ends (rules 4, 5): not ended already and
    authorized on ``day`` or later by their EAD dates (the requested ones until an EAD is recorded)."""
    return tuple(
        opt.id for opt in program.opts if opt.status is OptStatus.APPROVED and opt.ended_on is None and opt.end >= day
    )


def completed_early_on(facts: StudentFacts, program_id: int, day: date) -> StudentFacts:
    """The facts as they read once program record ``program_id`` is completed early on ``day`` (rule 5): the record
    completed that day and the OPTs running on it (``opts_running_on``) ended then, as the completion records them."""
    programs = []
    for program in facts.programs:
        if program.id == program_id:
            running = opts_running_on(program, day)
            opts = tuple(replace(opt, ended_on=day) if opt.id in running else opt for opt in program.opts)
            program = replace(program, status=ProgramStatus.COMPLETED, completed_on=day, opts=opts)
        programs.append(program)
    return replace(facts, programs=tuple(programs))


def employment_state(job: JobFacts, today: date) -> EmploymentState:
    """DESIGN rule 17: decided by dates alone."""
    if job.start_date > today:
        return EmploymentState.UPCOMING
    if job.end_date is not None and job.end_date < today:
        return EmploymentState.PAST
    return EmploymentState.CURRENT


def _nearest_day_of(job: JobFacts, today: date) -> date:
    """The day of the job's dates nearest ``today``: a past job is judged on its last day, an upcoming one on its first."""
    if job.start_date > today:
        return job.start_date
    if job.end_date is not None and job.end_date < today:
        return job.end_date
    return today


def access_on(shape: Shape, program: ProgramFacts | None, today: date) -> Access:
    """DESIGN rule 5: full, then read-only until six months after the OPT end date (or a pending STEM request's
    180-day extension), then closed; a terminated record is closed at once."""
    if program is None:
        return Access(AccessLevel.FULL)
    if program.status is ProgramStatus.TERMINATED:
        return Access(
            AccessLevel.CLOSED, reason="Your program record was terminated, so your portal account is closed."
        )
    approved_ends = [o.end for o in program.opts if o.status is OptStatus.APPROVED]
    if shape.extension is not None:
        # The extension is authorized time, pending or decided (8 CFR 274a.12(b)(6)(iv)): the 15 days and the six
        # months count from its last day. Pending, it is full access to that day (rule 3), and not beyond it.
        approved_ends.append(shape.extension.until)
    opt_end = max(approved_ends) if approved_ends else None
    if opt_end is None:
        return Access(AccessLevel.FULL)
    read_only_until = add_months(opt_end, READ_ONLY_MONTHS)
    closes_on = read_only_until + timedelta(days=1)
    dates = {"opt_end": opt_end, "read_only_until": read_only_until, "closes_on": closes_on}
    extension_ran_out = shape.extension_pending and opt_end == shape.extension.until
    if today >= closes_on:
        ended = "the 180-day extension of your work authorization ended" if extension_ran_out else "your OPT ended"
        return Access(
            AccessLevel.CLOSED,
            reason=f"Your portal access ended on {long_date(read_only_until)}, six "
            f"months after {ended} on {long_date(opt_end)}.",
            **dates,
        )
    completed_early = (
        program.status is ProgramStatus.COMPLETED
        and program.completed_on is not None
        and program.completed_on < opt_end
    )
    if completed_early:
        return Access(
            AccessLevel.READ_ONLY,
            reason=(
                f"Your school completed your program record on {long_date(program.completed_on)}, before your OPT end "
                f"date. You can read your information until {long_date(read_only_until)}; you can no longer change it."
            ),
            **dates,
        )
    if program.status is not ProgramStatus.ACTIVE:
        return Access(
            AccessLevel.READ_ONLY,
            reason="Your program record is no longer active. Contact your DSO about any change.",
            **dates,
        )
    grace_until = opt_end + timedelta(days=EDIT_GRACE_DAYS)
    if today > grace_until and extension_ran_out:
        return Access(
            AccessLevel.READ_ONLY,
            reason=(
                f"Your STEM OPT extension request is still pending, and the 180-day extension of your work "
                f"authorization ended on {long_date(opt_end)}. Changes were possible until {long_date(grace_until)}; "
                f"you can read your information until {long_date(read_only_until)} unless the request is approved."
            ),
            **dates,
        )
    if today > grace_until:
        return Access(
            AccessLevel.READ_ONLY,
            reason=(
                f"Your OPT ended on {long_date(opt_end)}. Changes were possible until {long_date(grace_until)}; "
                f"you can read your information until {long_date(read_only_until)}."
            ),
            **dates,
        )
    return Access(AccessLevel.FULL, **dates)


def duties_on(facts: StudentFacts, today: date) -> list[Duty]:
    """DESIGN rule 15: the STEM confirmations and Form I-983 evaluations of every approved STEM OPT, or why closed."""
    duties = []
    programs = list(facts.programs)
    current = facts.current_program
    for index, program in enumerate(programs):
        later_program = index < len(programs) - 1
        for opt in program.opts:
            if opt.kind is not OptKind.STEM or opt.status is OptStatus.PENDING:
                continue
            reason = _duty_closure(opt, program, later_program=later_program and program is not current)
            duties.extend(_stem_duties(opt, today, reason))
    return duties


def _duty_closure(opt: OptFacts, program: ProgramFacts, *, later_program: bool) -> str | None:
    """Why every open STEM duty of this OPT closed, or None while they stand."""
    if opt.status is OptStatus.DENIED:
        return "The STEM OPT extension was denied."
    if program.status is ProgramStatus.TRANSFERRED:
        return "The student transferred to another school."
    if later_program and program.status is ProgramStatus.COMPLETED:
        return "The student changed education level."
    if program.status is ProgramStatus.TERMINATED:
        return "The program record was terminated."
    if opt.ended_on is not None and opt.ended_on < opt.end:
        return f"The STEM OPT ended early, on {long_date(opt.ended_on)}."
    return None


def _stem_duties(opt: OptFacts, today: date, closed_reason: str | None) -> list[Duty]:
    def duty(kind: DutyKind, months: int | None, mark: date) -> Duty:
        opens_on, due_on = mark - timedelta(days=DUTY_REMINDER_DAYS), mark + timedelta(days=DUTY_DUE_DAYS)
        if closed_reason is not None:
            state = DutyState.CLOSED
        elif today < opens_on:
            state = DutyState.UPCOMING
        elif today <= due_on:
            state = DutyState.OPEN
        else:
            state = DutyState.OVERDUE
        return Duty(kind, opt.id, months, mark, opens_on, due_on, state, closed_reason)

    start, end = opt.start, opt.end
    duties = [
        duty(DutyKind.STEM_CONFIRMATION, months, add_months(start, months))
        for months in STEM_CONFIRMATION_MONTHS
        if add_months(start, months) <= end + timedelta(days=1)
    ]
    if add_months(start, 12) <= end:  # a STEM OPT shorter than a year has only the final evaluation
        duties.append(duty(DutyKind.I983_EVALUATION, 12, add_months(start, 12)))
    duties.append(duty(DutyKind.I983_FINAL_EVALUATION, None, end))
    return sorted(duties, key=lambda d: (d.due_on, d.kind))
