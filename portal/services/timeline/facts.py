"""The facts a timeline is computed from: what a student's records say, as plain values (no database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.models.enums import EmployerReview, EmploymentTime, OptKind, OptStatus, ProgramStatus


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
