"""What a timeline says about a student on a day: OPT states, jobs, the unemployment count, access and STEM duties."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from portal.models.enums import OptKind, OptStatus
from portal.services.timeline.facts import JobFacts, OptFacts, ProgramFacts
from portal.services.timeline.limits import ACCESS_ENDING_DAYS, NEARING_LIMIT_REMAINING, WARNING_FROM


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
        return (
            not self.access.closed
            and closes_on is not None
            and self.today >= closes_on - timedelta(days=ACCESS_ENDING_DAYS)
        )

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
        ended = [
            opt.facts.last_valid_day for opt in self.opts if opt.state in (OptState.ENDED, OptState.COMPLETED_EARLY)
        ]
        if self.extension is not None:
            ended.append(self.extension.until)
        return max(ended) if ended else None

    @property
    def open_duties(self) -> list[Duty]:
        return [duty for duty in self.duties if duty.state in (DutyState.OPEN, DutyState.OVERDUE)]
