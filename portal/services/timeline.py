"""A student's OPT timeline: the one computation of their status on a day (DESIGN rules 1, 3-6, 15-17).

Everything the portal says about a student's time (OPT states, employment past/current/upcoming,
unemployment days, portal access, STEM duties) is computed here from plain facts and a day. The
computation is pure: no database, no clock. Pages, lists, exports and emails read it through
portal.services.timelines (which loads the facts); the daily notices read the dated marks that
``marks_for`` derives from the same functions, and every email is re-checked against ``timeline_for``
on its send day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from portal.models.enums import EmployerReview, EmploymentTime, OptKind, OptStatus, ProgramStatus
from portal.services.clock import (
    END_OF_TIME,
    READ_ONLY_MONTHS,
    STEM_CONFIRMATION_MONTHS,
    STEM_PENDING_EXTENSION_DAYS,
    add_months,
    days_between,
    long_date,
)

POST_COMPLETION_ALLOWANCE = 90  # DESIGN rule 16; 8 CFR 214.2(f)(10)(ii)(E)
STEM_EXTRA_ALLOWANCE = 60
WARNING_FROM = 60
NEARING_LIMIT_REMAINING = 30  # the DSO alert "Unemployment nearing the limit": 30 days or fewer left
EMAIL_THRESHOLDS = (60, 80)  # and the limit itself
EDIT_GRACE_DAYS = 15  # a job that ended with the OPT can still be reported within rule 15's ten days, and then some
DUTY_DUE_DAYS = 10  # DESIGN rule 15: within 10 days of each six-month mark, and of the STEM end
DUTY_REMINDER_DAYS = 30  # the portal reminds 30 days ahead


# --- Facts: what the records say, as plain values ---------------------------------------------------


@dataclass(frozen=True)
class OptFacts:
    """One OPT authorization. ``requested_*`` is what the student asked for; ``actual_*`` the EAD's validity."""

    id: int
    kind: OptKind
    status: OptStatus
    requested_start: date
    requested_end: date
    actual_start: date | None = None
    actual_end: date | None = None
    ended_on: date | None = None  # the last day it was valid when it ended early (completion, transfer, level)
    requested_on: date | None = None  # when the request was filed: decides whether a STEM extension is timely
    decided_on: date | None = None

    @property
    def start(self) -> date:
        """The day validity starts: the EAD's, never the requested one once approved (rule 16)."""
        return self.actual_start or self.requested_start

    @property
    def end(self) -> date:
        """The authorized end date (the EAD's), even when the OPT ended early."""
        return self.actual_end or self.requested_end

    @property
    def last_valid_day(self) -> date:
        return min(self.end, self.ended_on) if self.ended_on is not None else self.end


@dataclass(frozen=True)
class ProgramFacts:
    """A program of study under the SEVIS ID, in the order the records were opened."""

    id: int
    status: ProgramStatus
    start_date: date
    end_date: date
    completed_on: date | None = None
    opts: tuple[OptFacts, ...] = ()


@dataclass(frozen=True)
class JobFacts:
    """A live (not deleted) employer, under the OPT it was reported for."""

    id: int
    opt_id: int | None
    name: str
    start_date: date
    end_date: date | None
    review: EmployerReview = EmployerReview.NOT_NEEDED
    employment_time: EmploymentTime = EmploymentTime.FULL_TIME


@dataclass(frozen=True)
class StudentFacts:
    student_id: int
    school_id: int | None = None
    programs: tuple[ProgramFacts, ...] = ()
    jobs: tuple[JobFacts, ...] = ()

    @property
    def current_program(self) -> ProgramFacts | None:
        """The record the student sees: the newest active one, else the newest (DESIGN rule 4)."""
        active = [program for program in self.programs if program.status is ProgramStatus.ACTIVE]
        return (active or list(self.programs) or [None])[-1]


# --- What the timeline says -------------------------------------------------------------------------


class OptState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"  # approved, validity not started yet
    IN_VALIDITY = "in_validity"
    ENDED = "ended"
    COMPLETED_EARLY = "completed_early"
    DENIED = "denied"
    CANCELLED = "cancelled"  # pending or not yet started when its program record ended


class EmploymentState(StrEnum):
    PAST = "past"
    CURRENT = "current"
    UPCOMING = "upcoming"


class AccessLevel(StrEnum):
    FULL = "full"
    READ_ONLY = "read_only"
    CLOSED = "closed"


class DutyKind(StrEnum):
    STEM_CONFIRMATION = "stem_confirmation"
    I983_EVALUATION = "i983_evaluation"
    I983_FINAL_EVALUATION = "i983_final_evaluation"


class DutyState(StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    OVERDUE = "overdue"
    CLOSED = "closed"  # no longer required: the reason says why


@dataclass(frozen=True)
class OptView:
    facts: OptFacts
    state: OptState

    @property
    def kind(self) -> OptKind:
        return self.facts.kind

    @property
    def start(self) -> date:
        return self.facts.start

    @property
    def end(self) -> date:
        return self.facts.end


@dataclass(frozen=True)
class StemExtension:
    """A timely STEM request pending past the post-completion end: authorization goes on up to 180 days."""

    stem_opt_id: int
    starts_on: date
    until: date


@dataclass(frozen=True)
class Job:
    facts: JobFacts
    state: EmploymentState
    # Counts as employment (a returned STEM employer, or one waiting on STEM days, does not): today for a current
    # job, on its last day for a past one, on its first day for an upcoming one.
    counts: bool

    @property
    def id(self) -> int:
        return self.facts.id

    @property
    def name(self) -> str:
        return self.facts.name


@dataclass(frozen=True)
class UnemploymentCount:
    used: int
    allowed: int
    runs_out_on: date | None  # the day the allowance is used up if no other job is reported
    counting: bool  # today lies inside the OPT's validity (or a STEM extension)

    @property
    def remaining(self) -> int:
        return max(0, self.allowed - self.used)

    @property
    def warning(self) -> bool:
        return self.allowed > 0 and self.used >= WARNING_FROM

    @property
    def exhausted(self) -> bool:
        return self.allowed > 0 and self.used >= self.allowed

    @property
    def nearing_limit(self) -> bool:
        """The DSO alert: counting today with 30 days or fewer left."""
        return self.counting and self.allowed > 0 and self.remaining <= NEARING_LIMIT_REMAINING

    @property
    def percent_used(self) -> int:
        return min(100, round(100 * self.used / self.allowed)) if self.allowed else 0


@dataclass(frozen=True)
class Access:
    level: AccessLevel
    reason: str | None = None  # why it is read-only or closed, in words for the student
    opt_end: date | None = None  # the authorized end the six months count from
    read_only_until: date | None = None  # the last day the student can sign in and read
    closes_on: date | None = None

    @property
    def can_edit(self) -> bool:
        return self.level is AccessLevel.FULL

    @property
    def closed(self) -> bool:
        return self.level is AccessLevel.CLOSED


@dataclass(frozen=True)
class Duty:
    """A STEM reporting duty (rule 15) with its window and due date on the timeline's day."""

    kind: DutyKind
    opt_id: int
    months: int | None  # 6, 12, 18, 24 for confirmations, 12 for the evaluation, None for the final one
    mark: date
    opens_on: date
    due_on: date
    state: DutyState
    closed_reason: str | None = None


@dataclass(frozen=True)
class Timeline:
    today: date
    student_id: int
    program: ProgramFacts | None
    opts: tuple[OptView, ...]
    extension: StemExtension | None  # a timely STEM request's extension while the request is pending
    jobs: tuple[Job, ...]
    unemployment: UnemploymentCount
    access: Access
    duties: tuple[Duty, ...]
    account_due_on: date | None  # rule 1: the portal account is created on this day
    opt_end: date | None = None  # the last authorized day (a pending extension's last day while it runs)
    notes: tuple[str, ...] = field(default=())

    @property
    def current_jobs(self) -> list[Job]:
        return [job for job in self.jobs if job.state is EmploymentState.CURRENT]

    @property
    def current_employer(self) -> Job | None:
        """The employer shown as current: a counting one whose dates cover today, the latest reported first."""
        current = sorted(self.current_jobs, key=lambda job: (job.counts, job.facts.start_date, job.id))
        return current[-1] if current else None

    @property
    def upcoming_jobs(self) -> list[Job]:
        """Jobs whose start date is ahead (rule 17), the soonest first."""
        upcoming = [job for job in self.jobs if job.state is EmploymentState.UPCOMING]
        return sorted(upcoming, key=lambda job: (job.facts.start_date, job.id))

    @property
    def employed_today(self) -> bool:
        """A current job that counts as employment covers today, so no unemployment day is being used."""
        return any(job.counts for job in self.current_jobs)

    @property
    def current_opt(self) -> OptView | None:
        """The OPT period the student is in: the one valid today, else the next approved or pending, else the last
        one that ended; None when there is none (or only denied and cancelled ones)."""
        valid = [opt for opt in self.opts if opt.state is OptState.IN_VALIDITY]
        if valid:
            return max(valid, key=lambda opt: opt.start)
        ahead = [opt for opt in self.opts if opt.state in (OptState.APPROVED, OptState.PENDING)]
        if ahead:
            return min(ahead, key=lambda opt: opt.start)
        ended = [opt for opt in self.opts if opt.state in (OptState.ENDED, OptState.COMPLETED_EARLY)]
        return max(ended, key=lambda opt: opt.facts.last_valid_day) if ended else None

    @property
    def access_ending_soon(self) -> bool:
        """Access closes within ACCESS_ENDING_DAYS (the day of the "access ending" mark or later), not closed yet."""
        closes_on = self.access.closes_on
        return (not self.access.closed and closes_on is not None
                and self.today >= closes_on - timedelta(days=ACCESS_ENDING_DAYS))  # fmt: skip

    @property
    def upcoming_duties(self) -> list[Duty]:
        """STEM duties whose window has not opened yet, the soonest due first."""
        return [duty for duty in self.duties if duty.state is DutyState.UPCOMING]

    @property
    def stem_opt(self) -> OptView | None:
        return next((opt for opt in self.opts if opt.kind is OptKind.STEM), None)

    @property
    def on_stem(self) -> bool:
        stem = self.stem_opt
        return stem is not None and stem.facts.status is OptStatus.APPROVED

    @property
    def has_reportable_opt(self) -> bool:
        return any(opt.state in (OptState.PENDING, OptState.APPROVED, OptState.IN_VALIDITY) for opt in self.opts) or (
            self.extension is not None
        )

    @property
    def asks_to_report(self) -> bool:
        """Whether the student is told to report jobs: only with full access and an OPT to report under (rule 5)."""
        return self.access.can_edit and any(
            opt.facts.status in (OptStatus.APPROVED, OptStatus.PENDING) for opt in self.opts
        )

    @property
    def opt_ended_on(self) -> date | None:
        """The last day of work authorization once it has ended; None while an OPT is approved or valid, or a
        timely STEM extension still runs (DESIGN rule 5: that is not an end)."""
        if self.extension is not None and self.today <= self.extension.until:
            return None
        if any(opt.state in (OptState.APPROVED, OptState.IN_VALIDITY) for opt in self.opts):
            return None
        ended = [opt.facts.last_valid_day for opt in self.opts if opt.state in (OptState.ENDED, OptState.COMPLETED_EARLY)]
        if self.extension is not None:
            ended.append(self.extension.until)
        return max(ended) if ended else None

    @property
    def open_duties(self) -> list[Duty]:
        return [duty for duty in self.duties if duty.state in (DutyState.OPEN, DutyState.OVERDUE)]


# --- The computation --------------------------------------------------------------------------------


def timeline_for(facts: StudentFacts, today: date) -> Timeline:
    """The student's timeline on ``today`` (a US Eastern date); pure, from the facts alone."""
    program = facts.current_program
    shape = _Shape(facts, program)
    opts = tuple(OptView(opt, _opt_state(opt, program, today)) for opt in shape.visible_opts)
    # Only a STEM request still pending extends authorization; once decided, its window is history.
    extension = shape.extension if shape.extension_pending else None
    unemployed = shape.unemployed
    used = _days_up_to(unemployed, today)
    counting = any(start <= today <= last for start, last in shape.counted_windows)
    unemployment = UnemploymentCount(used=used, allowed=shape.allowed_on(today), runs_out_on=shape.runs_out_on,
                                     counting=counting)  # fmt: skip
    jobs = tuple(
        Job(job, _employment_state(job, today), shape.job_counts(job, _nearest_day_of(job, today)))
        for job in shape.jobs
    )
    return Timeline(
        today=today, student_id=facts.student_id, program=program, opts=opts, extension=extension,
        jobs=jobs, unemployment=unemployment, access=_access(shape, program, today),
        duties=tuple(_duties(facts, today)), account_due_on=shape.account_due_on, opt_end=shape.last_authorized_day,
    )  # fmt: skip


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


def _employment_state(job: JobFacts, today: date) -> EmploymentState:
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


class _Shape:
    """The day-independent shape of a student's current program: validity windows, jobs and unemployed days."""

    def __init__(self, facts: StudentFacts, program: ProgramFacts | None) -> None:
        opts = program.opts if program is not None else ()
        # DESIGN rule 6: a denied STEM OPT leaves the student's view (its facts still shape a past extension).
        self.visible_opts = tuple(o for o in opts if not (o.kind is OptKind.STEM and o.status is OptStatus.DENIED))
        self.approved = [o for o in self.visible_opts if o.status is OptStatus.APPROVED
                         and (o.ended_on is None or o.ended_on >= o.start)]  # fmt: skip
        visible_ids = {o.id for o in self.visible_opts}
        self.jobs = tuple(
            sorted((job for job in facts.jobs if job.opt_id in visible_ids),
                   key=lambda job: (job.start_date, job.id), reverse=True)
        )  # fmt: skip
        stem = [(o.start, o.last_valid_day) for o in self.approved if o.kind is OptKind.STEM]
        post = [(o.start, o.last_valid_day) for o in self.approved if o.kind is OptKind.POST_COMPLETION]
        self.extension = _extension(opts, program)
        self.extension_pending = self.extension is not None and any(
            o.id == self.extension.stem_opt_id and o.status is OptStatus.PENDING for o in opts
        )
        if self.extension is not None:
            post.append((self.extension.starts_on, self.extension.until))
        self.stem_windows = _merge(stem)
        self.post_windows = _subtract(_merge(post), self.stem_windows)
        self.counted_windows = _merge(self.stem_windows + self.post_windows)
        self.stem_starts_on = self.stem_windows[0][0] if self.stem_windows else None
        any_post = any(o.kind is OptKind.POST_COMPLETION for o in self.approved)
        self.base_allowance = POST_COMPLETION_ALLOWANCE if (any_post or self.stem_windows) else 0
        ends = [o.end for o in self.approved]
        if self.extension is not None:
            ends.append(self.extension.until)
        self.last_authorized_day = max(ends) if ends else None
        # DESIGN rule 1: on the start date, or at approval when that date had already passed.
        starts = [max(o.start, o.decided_on) if o.decided_on is not None else o.start for o in self.approved]
        self.account_due_on = min(starts) if starts else None
        self.unemployed = self._unemployed_days()
        self.runs_out_on = self._runs_out_on()

    def allowed_on(self, day: date) -> int:
        """90 days, and 60 more once the STEM OPT has started (not when it is merely approved)."""
        extra = STEM_EXTRA_ALLOWANCE if self.stem_starts_on is not None and self.stem_starts_on <= day else 0
        return self.base_allowance + extra

    def job_counts(self, job: JobFacts, day: date) -> bool:
        """Whether the job counts as employment on ``day`` (DESIGN rule 16)."""
        if job.review is EmployerReview.RETURNED:
            return False
        if any(start <= day <= last for start, last in self.stem_windows):
            return job.review is EmployerReview.ACCEPTED
        return True

    def _unemployed_days(self) -> list[tuple[date, date]]:
        counting_jobs = [job for job in self.jobs if job.review is not EmployerReview.RETURNED]
        stem_jobs = _merge((j.start_date, j.end_date or END_OF_TIME) for j in counting_jobs
                           if j.review is EmployerReview.ACCEPTED)  # fmt: skip
        post_jobs = _merge((j.start_date, j.end_date or END_OF_TIME) for j in counting_jobs)
        return _merge(_subtract(self.stem_windows, stem_jobs) + _subtract(self.post_windows, post_jobs))

    def first_day_used_reaches(self, count: int) -> date | None:
        """The day the cumulative unemployment days reach ``count`` (None if they never do on these facts)."""
        if count <= 0:
            return self.counted_windows[0][0] if self.counted_windows else None
        total = 0
        for start, last in self.unemployed:
            length = days_between(start, last)
            if total + length >= count:
                return start + timedelta(days=count - total - 1)
            total += length
        return None

    def _runs_out_on(self) -> date | None:
        """The first day the used days reach the allowance in force that day."""
        if not self.base_allowance:
            return None
        before_stem = self.first_day_used_reaches(self.base_allowance)
        if before_stem is not None and (self.stem_starts_on is None or before_stem < self.stem_starts_on):
            return before_stem
        if self.stem_starts_on is None:
            return None
        return self.first_day_used_reaches(self.base_allowance + STEM_EXTRA_ALLOWANCE)

    def nearing_limit_periods(self) -> list[tuple[date, date]]:
        """The days a DSO sees "nearing the limit": counting, with 30 or fewer days left that day."""
        periods = []
        segments = [(date.min, (self.stem_starts_on or END_OF_TIME) - timedelta(days=1), self.base_allowance)]
        if self.stem_starts_on is not None:
            segments.append((self.stem_starts_on, END_OF_TIME, self.base_allowance + STEM_EXTRA_ALLOWANCE))
        for seg_start, seg_last, allowed in segments:
            reached = self.first_day_used_reaches(allowed - NEARING_LIMIT_REMAINING)
            if reached is None or not allowed:
                continue
            for start, last in self.counted_windows:
                start, last = max(start, reached, seg_start), min(last, seg_last)
                if start <= last:
                    periods.append((start, last))
        return _merge(periods)


def _extension(opts: tuple[OptFacts, ...], program: ProgramFacts | None) -> StemExtension | None:
    """DESIGN rule 5: a STEM request filed by the post-completion end extends authorization up to 180 days."""
    if program is None:
        return None
    post = [o for o in opts if o.kind is OptKind.POST_COMPLETION and o.status is OptStatus.APPROVED
            and o.ended_on is None]  # fmt: skip
    stem = [o for o in opts if o.kind is OptKind.STEM]
    if not post or not stem:
        return None
    post_end = max(o.end for o in post)
    request = stem[-1]
    if request.requested_on is not None and request.requested_on > post_end:
        return None  # not timely: filed after the OPT ended
    until = post_end + timedelta(days=STEM_PENDING_EXTENSION_DAYS)
    if request.status is OptStatus.APPROVED:
        until = min(until, request.start - timedelta(days=1))
    elif request.status is OptStatus.DENIED:
        if request.decided_on is None:
            return None
        until = min(until, request.decided_on - timedelta(days=1))
    if request.ended_on is not None:
        until = min(until, request.ended_on)
    if program.status is not ProgramStatus.ACTIVE and program.completed_on is not None:
        until = min(until, program.completed_on)
    if until <= post_end:
        return None
    return StemExtension(stem_opt_id=request.id, starts_on=post_end + timedelta(days=1), until=until)


def _access(shape: _Shape, program: ProgramFacts | None, today: date) -> Access:
    """DESIGN rule 5: full, then read-only until six months after the OPT end date, then closed."""
    if program is None:
        return Access(AccessLevel.FULL)
    if program.status is ProgramStatus.TERMINATED:
        return Access(AccessLevel.CLOSED, reason="Your program record was terminated, so your portal account is "
                                                 "closed.")  # fmt: skip
    approved_ends = [o.end for o in program.opts if o.status is OptStatus.APPROVED]
    if shape.extension is not None and not shape.extension_pending:
        # A decided extension was authorized time: the 15 days and six months count from its last day.
        approved_ends.append(shape.extension.until)
    opt_end = max(approved_ends) if approved_ends else None
    if opt_end is None:
        return Access(AccessLevel.FULL)
    read_only_until = add_months(opt_end, READ_ONLY_MONTHS)
    closes_on = read_only_until + timedelta(days=1)
    dates = {"opt_end": opt_end, "read_only_until": read_only_until, "closes_on": closes_on}
    if shape.extension_pending and program.status is ProgramStatus.ACTIVE:
        # DESIGN rule 3: employment can be edited while the STEM request is pending.
        return Access(AccessLevel.FULL, **{**dates, "read_only_until": None, "closes_on": None})
    if today >= closes_on:
        return Access(AccessLevel.CLOSED, reason=f"Your portal access ended on {long_date(read_only_until)}, six "
                                                 f"months after your OPT ended on {long_date(opt_end)}.", **dates)  # fmt: skip
    completed_early = (program.status is ProgramStatus.COMPLETED and program.completed_on is not None
                       and program.completed_on < opt_end)  # fmt: skip
    if completed_early:
        return Access(AccessLevel.READ_ONLY, reason=(
            f"Your school completed your program record on {long_date(program.completed_on)}, before your OPT end "
            f"date. You can read your information until {long_date(read_only_until)}; you can no longer change it."
        ), **dates)  # fmt: skip
    if program.status is not ProgramStatus.ACTIVE:
        return Access(AccessLevel.READ_ONLY, reason="Your program record is no longer active. Contact your DSO "
                                                    "about any change.", **dates)  # fmt: skip
    grace_until = opt_end + timedelta(days=EDIT_GRACE_DAYS)
    if today > grace_until:
        return Access(AccessLevel.READ_ONLY, reason=(
            f"Your OPT ended on {long_date(opt_end)}. Changes were possible until {long_date(grace_until)}; "
            f"you can read your information until {long_date(read_only_until)}."
        ), **dates)  # fmt: skip
    return Access(AccessLevel.FULL, **dates)


def _duties(facts: StudentFacts, today: date) -> list[Duty]:
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
    duties = [duty(DutyKind.STEM_CONFIRMATION, months, add_months(start, months))
              for months in STEM_CONFIRMATION_MONTHS if add_months(start, months) <= end + timedelta(days=1)]  # fmt: skip
    if add_months(start, 12) <= end:  # a STEM OPT shorter than a year has only the final evaluation
        duties.append(duty(DutyKind.I983_EVALUATION, 12, add_months(start, 12)))
    duties.append(duty(DutyKind.I983_FINAL_EVALUATION, None, end))
    return sorted(duties, key=lambda d: (d.due_on, d.kind))


# --- Dated marks: the same shape, as rows the daily sweep and the DSO lists can index -------------


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


ACCESS_ENDING_DAYS = 30


@dataclass(frozen=True)
class Mark:
    kind: MarkKind
    starts_on: date
    ends_on: date
    detail: str = ""


def marks_for(facts: StudentFacts) -> list[Mark]:
    """The student's dated marks and periods; they depend on the facts only, never on today."""
    program = facts.current_program
    shape = _Shape(facts, program)
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
    for duty in _duties(facts, END_OF_TIME - timedelta(days=1)):
        if duty.closed_reason is None:
            marks.append(Mark(MarkKind.DUTY_REMINDER, duty.opens_on, duty.opens_on, f"{duty.kind}:{duty.months or ''}"))
    return marks


def _current_employer_periods(shape: _Shape) -> list[tuple[date, date, int]]:
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
        current = [job for job in shape.jobs if _employment_state(job, day) is EmploymentState.CURRENT]
        if not current:
            continue
        chosen = max(current, key=lambda job: (shape.job_counts(job, day), job.start_date, job.id))
        if periods and periods[-1][2] == chosen.id and periods[-1][1] + timedelta(days=1) == day:
            periods[-1] = (periods[-1][0], last, chosen.id)
        else:
            periods.append((day, last, chosen.id))
    return periods


def _end_marks(shape: _Shape, program: ProgramFacts | None) -> list[Mark]:
    probe = END_OF_TIME - timedelta(days=1)
    access = _access(shape, program, probe)
    if access.closes_on is None or access.opt_end is None:
        return []
    marks = [
        Mark(MarkKind.ACCESS_ENDING, access.closes_on - timedelta(days=ACCESS_ENDING_DAYS),
             access.closes_on - timedelta(days=ACCESS_ENDING_DAYS), access.read_only_until.isoformat()),
        Mark(MarkKind.ACCESS_CLOSED, access.closes_on, access.closes_on, access.read_only_until.isoformat()),
    ]  # fmt: skip
    ended_on = _authorization_ended_on(shape, program)
    if ended_on is not None:
        day = ended_on + timedelta(days=1)
        marks.append(Mark(MarkKind.OPT_ENDED, day, day, ended_on.isoformat()))
    return marks


def _authorization_ended_on(shape: _Shape, program: ProgramFacts | None) -> date | None:
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


# --- Interval arithmetic on inclusive date ranges -------------------------------------------------


def _merge(intervals) -> list[tuple[date, date]]:
    """Union of inclusive date intervals, sorted, overlapping or touching ones joined."""
    merged: list[tuple[date, date]] = []
    for start, end in sorted(interval for interval in intervals if interval[0] <= interval[1]):
        if merged and (merged[-1][1] == END_OF_TIME or start <= merged[-1][1] + timedelta(days=1)):
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _subtract(intervals: list[tuple[date, date]], holes: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """The days of merged ``intervals`` not in merged ``holes``."""
    result = []
    for start, end in intervals:
        cursor = start
        for hole_start, hole_end in holes:
            if hole_end < cursor or hole_start > end:
                continue
            if hole_start > cursor:
                result.append((cursor, hole_start - timedelta(days=1)))
            if hole_end >= end:
                cursor = None
                break
            cursor = max(cursor, hole_end + timedelta(days=1))
        if cursor is not None and cursor <= end:
            result.append((cursor, end))
    return result


def _days_up_to(intervals: list[tuple[date, date]], today: date) -> int:
    return sum(days_between(start, min(last, today)) for start, last in intervals if start <= today)


def as_date(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value
