"""Dated student stories: what the one timeline says on named days, and which emails fall on which days.

Each row is a student's records (plain facts, no database), the days we look at, what the portal must say on
each (unemployment days used/allowed/remaining, access, OPT states, current employer, STEM duties) and every
dated email mark ``marks_for`` gives (account_due, unemployment_reached 60/80/limit, opt_ended, access_ending,
access_closed, duty_reminder). Every expected value was worked out by hand from the rule the row cites; none
comes from the code under test.

Issue 11's findings 1-11 are rows below (the name says which); finding 12 (one principal DSO per school, no cap
on DSOs) is about officials, not a student's time: tests/unit/test_officials.py pins it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
import time_machine

from portal.models.enums import EmployerReview, EmploymentTime, OptKind, OptStatus, ProgramStatus
from portal.services.clock import today_eastern
from portal.services.timeline import (
    JobFacts,
    MarkKind,
    OptFacts,
    ProgramFacts,
    StudentFacts,
    marks_for,
    timeline_for,
)

D = date.fromisoformat
ACTIVE, COMPLETED, TRANSFERRED, TERMINATED = (
    ProgramStatus.ACTIVE,
    ProgramStatus.COMPLETED,
    ProgramStatus.TRANSFERRED,
    ProgramStatus.TERMINATED,
)
PENDING, DENIED = OptStatus.PENDING, OptStatus.DENIED
WAITING, ACCEPTED, RETURNED = EmployerReview.WAITING, EmployerReview.ACCEPTED, EmployerReview.RETURNED
ANY = object()  # not looked at on that day
EMAIL_KINDS = {
    MarkKind.ACCOUNT_DUE,
    MarkKind.UNEMPLOYMENT_REACHED,
    MarkKind.OPT_ENDED,
    MarkKind.ACCESS_ENDING,
    MarkKind.ACCESS_CLOSED,
    MarkKind.DUTY_REMINDER,
}

# Sources, in words (the seed documents are described, not linked: they live outside the repository).
UNEMPLOYMENT = "8 CFR 214.2(f)(10)(ii)(E); SEVIS release 6.41 (cumulative counter); DESIGN rule 16"
ACCESS = "SEVP Portal release 1.10 (2019); Study in the States 'Portal Email Notices to Students'; seed 001 Q8; DESIGN rule 5"
EXTENSION = "8 CFR 274a.12(b)(6)(iv) (timely STEM request: 180 days while pending); DESIGN rules 3, 5; seed 001 Q6"
STEM_DUTIES = "8 CFR 214.2(f)(10)(ii)(C) and (f)(12); Form I-983 instructions; DESIGN rule 15"
EMPLOYMENT = "Study in the States 'Reporting requirements'; 8 CFR 214.2(f)(17); DESIGN rule 17"
PROGRAMS = "seed 001 Q8 (transfer or change of level opens a new record); DESIGN rules 4 and 16"
ACCOUNT = "seed 001 Q7; Study in the States 'Create an SEVP Portal account'; DESIGN rule 1"


# --- Facts, written briefly -----------------------------------------------------------------------


def _opt(kind, opt_id, start, end, *, status=OptStatus.APPROVED, ead=None, ended=None, filed=None, decided=None):
    """An OPT; an approved one carries its EAD dates (``ead``; the requested ones unless given, ``()`` for none)."""
    if status is OptStatus.APPROVED and ead is None:
        ead = (start, end)
    actual_start, actual_end = (D(ead[0]), D(ead[1])) if ead else (None, None)
    return OptFacts(
        id=opt_id,
        kind=kind,
        status=status,
        requested_start=D(start),
        requested_end=D(end),
        actual_start=actual_start,
        actual_end=actual_end,
        ended_on=D(ended) if ended else None,
        requested_on=D(filed) if filed else None,
        decided_on=D(decided) if decided else None,
    )


def post(opt_id, start, end, **kw):
    return _opt(OptKind.POST_COMPLETION, opt_id, start, end, **kw)


def stem(opt_id, start, end, **kw):
    return _opt(OptKind.STEM, opt_id, start, end, **kw)


def program(program_id, *opts, status=ACTIVE, completed=None):
    return ProgramFacts(
        id=program_id,
        status=status,
        start_date=D("2020-08-20"),
        end_date=D("2023-05-15"),
        completed_on=D(completed) if completed else None,
        opts=opts,
    )


def job(job_id, opt_id, name, start, end=None, *, review=EmployerReview.NOT_NEEDED, part_time=False):
    return JobFacts(
        id=job_id,
        opt_id=opt_id,
        name=name,
        start_date=D(start),
        end_date=D(end) if end else None,
        review=review,
        employment_time=EmploymentTime.PART_TIME if part_time else EmploymentTime.FULL_TIME,
    )


def student(*programs, jobs=()):
    return StudentFacts(student_id=1, programs=programs, jobs=tuple(jobs))


# --- What the portal must say on a day ------------------------------------------------------------


@dataclass(frozen=True)
class On:
    day: str
    count: tuple[int, int, int]  # unemployment days used, allowed, remaining
    access: str  # full, read_only, closed
    opts: tuple[str, ...]  # the states of the OPTs the student sees, in record order
    employer: str | None = None  # the current employer's name
    duties: object = ()  # "kind:months state due DAY" of every STEM duty (ANY: not looked at)
    duty_reason: str | None = None  # why the closed duties closed
    jobs: tuple[str, ...] | None = None  # "name: state" (", not counted" when it does not count as employment)
    counting: bool | None = None  # the day is inside the OPT's validity (or a pending STEM extension)
    nearing: bool | None = None  # the DSO alert "Unemployment nearing the limit"
    asks: bool | None = None  # the student is asked to report jobs
    runs_out: str | None = None
    extension: object = ANY  # the pending STEM extension's last day, or None
    read_only_until: str | None = None
    opt_end: str | None = None  # the last authorized day


@dataclass(frozen=True)
class Story:
    name: str
    source: str
    facts: StudentFacts
    days: tuple[On, ...]
    emails: tuple[str, ...]  # "DAY kind detail" for every dated email mark


def _duty(d) -> str:
    label = f"{d.kind}:{d.months}" if d.months else str(d.kind)
    return f"{label} {d.state} due {d.due_on}"


def said_on(facts: StudentFacts, on: On) -> tuple[dict, dict]:
    """(what the timeline says, what the row expects) for the fields the row names."""
    t = timeline_for(facts, D(on.day))
    u = t.unemployment
    got = {
        "count": (u.used, u.allowed, u.remaining),
        "access": str(t.access.level),
        "opts": tuple(str(o.state) for o in t.opts),
        "employer": t.current_employer.name if t.current_employer else None,
    }
    want = {"count": on.count, "access": on.access, "opts": on.opts, "employer": on.employer}
    if on.duties is not ANY:
        got["duties"], want["duties"] = sorted(map(_duty, t.duties)), sorted(on.duties)
    optional = {
        "duty_reason": lambda: {d.closed_reason for d in t.duties if d.closed_reason},
        "jobs": lambda: sorted(f"{j.name}: {j.state}" + ("" if j.counts else ", not counted") for j in t.jobs),
        "counting": lambda: u.counting,
        "nearing": lambda: u.nearing_limit,
        "asks": lambda: t.asks_to_report,
        "runs_out": lambda: str(u.runs_out_on),
        "read_only_until": lambda: str(t.access.read_only_until),
        "opt_end": lambda: str(t.opt_end),
    }
    expected = {"duty_reason": lambda v: {v}, "jobs": sorted}
    for name, read in optional.items():
        value = getattr(on, name)
        if value is not None:
            got[name], want[name] = read(), expected.get(name, lambda v: v)(value)
    if on.extension is not ANY:
        got["extension"] = str(t.extension.until) if t.extension else None
        want["extension"] = on.extension
    return got, want


def emails_of(facts: StudentFacts) -> list[str]:
    return sorted(f"{m.starts_on} {m.kind} {m.detail}".strip() for m in marks_for(facts) if m.kind in EMAIL_KINDS)


# STEM OPT 2025-01-01 to 2026-12-31: its reminders, 30 days before each mark (Feb 2026 has 28 days).
STEM_2025_REMINDERS = (
    "2025-06-01 duty_reminder stem_confirmation:6",
    "2025-12-02 duty_reminder stem_confirmation:12",
    "2025-12-02 duty_reminder i983_evaluation:12",
    "2026-06-01 duty_reminder stem_confirmation:18",
    "2026-12-01 duty_reminder i983_final_evaluation:",
    "2026-12-02 duty_reminder stem_confirmation:24",
)
# ... and its duties, by state
STEM_2025_DUTIES = (
    "stem_confirmation:6 {} due 2025-07-11",
    "stem_confirmation:12 {} due 2026-01-11",
    "i983_evaluation:12 {} due 2026-01-11",
    "stem_confirmation:18 {} due 2026-07-11",
    "stem_confirmation:24 {} due 2027-01-11",
    "i983_final_evaluation {} due 2027-01-10",
)


def all_duties(template, state):
    return tuple(line.format(state) for line in template)


# STEM OPT 2026-01-01 to 2027-12-31
STEM_2026_REMINDERS = (
    "2026-06-01 duty_reminder stem_confirmation:6",
    "2026-12-02 duty_reminder stem_confirmation:12",
    "2026-12-02 duty_reminder i983_evaluation:12",
    "2027-06-01 duty_reminder stem_confirmation:18",
    "2027-12-01 duty_reminder i983_final_evaluation:",
    "2027-12-02 duty_reminder stem_confirmation:24",
)
# An OPT 2025-01-01 to 2025-12-31 ends: the day after, and six months of reading from its end.
ENDS_2025 = (
    "2026-01-01 opt_ended 2025-12-31",
    "2026-06-01 access_ending 2026-06-30",
    "2026-07-01 access_closed 2026-06-30",
)
# A timely STEM request still pending when its 180 days from a June 30, 2025 end run out (Dec 27, 2025): read-only
# six months from that last day; no "OPT ended" while it is pending.
EXTENSION_RAN_OUT_2025 = ("2026-05-29 access_ending 2026-06-27", "2026-06-28 access_closed 2026-06-27")
THRESHOLDS_FROM_JAN_1_2025 = (
    "2025-03-01 unemployment_reached 60",
    "2025-03-21 unemployment_reached 80",
    "2025-03-31 unemployment_reached 90",
)

# Each story is a table of dated facts and expectations, one row a line, so a reader can check the dates.
# fmt: off
STORIES = [
    Story(
        "finding 1: a change of level starts a new count with the new OPT; the old program's days are gone",
        f"{PROGRAMS}; issue 11 finding 1",
        student(program(1, post(10, "2025-01-01", "2025-12-31", decided="2024-12-01", ended="2025-06-01"),
                        status=COMPLETED, completed="2025-06-01"),
                program(2, post(11, "2026-05-01", "2027-04-30", decided="2026-04-01")),
                jobs=[job(100, 10, "Old School Job", "2025-01-01", "2025-05-31")]),
        (On("2026-04-15", (0, 90, 90), "full", ("approved",), counting=False),
         On("2026-06-01", (32, 90, 58), "full", ("in_validity",), counting=True, nearing=False)),
        ("2026-05-01 account_due", "2026-06-29 unemployment_reached 60", "2026-07-19 unemployment_reached 80",
         "2026-07-29 unemployment_reached 90", "2027-05-01 opt_ended 2027-04-30",
         "2027-10-01 access_ending 2027-10-30", "2027-10-31 access_closed 2027-10-30"),
    ),
    Story(
        "finding 2: approved late with an EAD that starts after the requested start: counted from the EAD start",
        f"{UNEMPLOYMENT}; {ACCOUNT}; issue 11 finding 2",
        student(program(1, post(10, "2025-01-01", "2025-12-31", ead=("2025-03-17", "2026-03-16"), filed="2024-10-15",
                                decided="2025-03-12")),
                jobs=[job(100, 10, "Acme Analytics", "2025-04-01")]),
        (On("2025-03-12", (0, 90, 90), "full", ("approved",), counting=False),
         On("2025-03-17", (1, 90, 89), "full", ("in_validity",), counting=True),
         On("2026-03-16", (15, 90, 75), "full", ("in_validity",), employer="Acme Analytics"),
         On("2026-03-17", (15, 90, 75), "full", ("ended",), employer="Acme Analytics", counting=False)),
        ("2025-03-17 account_due", "2026-03-17 opt_ended 2026-03-16", "2026-08-18 access_ending 2026-09-16",
         "2026-09-17 access_closed 2026-09-16"),
    ),
    Story(
        "finding 2: approved 70 days after the start it keeps: the account is due at approval, the thresholds before it",
        f"{UNEMPLOYMENT}; {ACCOUNT}; issue 11 finding 2",
        student(program(1, post(10, "2025-01-01", "2025-12-31", decided="2025-03-12"))),
        (On("2025-03-12", (71, 90, 19), "full", ("in_validity",), nearing=True, runs_out="2025-03-31"),),
        ("2025-03-12 account_due", *THRESHOLDS_FROM_JAN_1_2025, *ENDS_2025),
    ),
    Story(
        "finding 3: a timely STEM request pending past the OPT end: 180 more days, full access, no 'OPT ended'",
        f"{EXTENSION}; issue 11 finding 3",
        student(program(1, post(10, "2024-07-01", "2025-06-30", decided="2024-06-01"),
                        stem(20, "2025-07-01", "2027-06-30", status=PENDING, filed="2025-05-01")),
                jobs=[job(100, 10, "Harbor Labs", "2024-07-15")]),
        (On("2025-07-15", (14, 90, 76), "full", ("ended", "pending"), employer="Harbor Labs", counting=True,
            asks=True, extension="2025-12-27", opt_end="2025-12-27"),
         On("2025-12-27", (14, 90, 76), "full", ("ended", "pending"), employer="Harbor Labs", counting=True),
         On("2025-12-28", (14, 90, 76), "full", ("ended", "pending"), employer="Harbor Labs", counting=False)),
        ("2024-07-01 account_due", *EXTENSION_RAN_OUT_2025),
    ),
    Story(
        "a STEM request filed after the OPT ended is not timely: no extension; the OPT ends, read-only, then closed",
        f"{EXTENSION}; {ACCESS}",
        student(program(1, post(10, "2024-07-01", "2025-06-30", decided="2024-06-01"),
                        stem(20, "2025-07-15", "2027-07-14", status=PENDING, filed="2025-07-10")),
                jobs=[job(100, 10, "Harbor Labs", "2024-07-15", "2025-06-30")]),
        (On("2025-07-15", (14, 90, 76), "full", ("ended", "pending"), counting=False, asks=True, extension=None,
            jobs=("Harbor Labs: past",)),
         On("2025-07-16", (14, 90, 76), "read_only", ("ended", "pending"), asks=False),
         On("2025-12-30", (14, 90, 76), "read_only", ("ended", "pending"), read_only_until="2025-12-30"),
         On("2025-12-31", (14, 90, 76), "closed", ("ended", "pending"), asks=False)),
        ("2024-07-01 account_due", "2025-07-01 opt_ended 2025-06-30", "2025-12-01 access_ending 2025-12-30",
         "2025-12-31 access_closed 2025-12-30"),
    ),
    Story(
        "finding 9: an approved STEM OPT that has not started allows 90 days; 150 from its first day",
        f"{UNEMPLOYMENT}; {STEM_DUTIES}; issue 11 finding 9",
        student(program(1, post(10, "2025-01-01", "2025-12-31", decided="2024-12-01"),
                        stem(20, "2026-01-01", "2027-12-31", filed="2025-10-01", decided="2025-11-15")),
                jobs=[job(100, 10, "Bay Robotics", "2025-01-01", "2025-12-31"),
                      job(101, 20, "Bay Robotics STEM", "2026-01-05", review=ACCEPTED)]),
        (On("2025-11-20", (0, 90, 90), "full", ("in_validity", "approved"), employer="Bay Robotics",
            duties=("stem_confirmation:6 upcoming due 2026-07-11", "stem_confirmation:12 upcoming due 2027-01-11",
                    "i983_evaluation:12 upcoming due 2027-01-11", "stem_confirmation:18 upcoming due 2027-07-11",
                    "stem_confirmation:24 upcoming due 2028-01-11", "i983_final_evaluation upcoming due 2028-01-10")),
         On("2025-12-31", (0, 90, 90), "full", ("in_validity", "approved"), employer="Bay Robotics", duties=ANY),
         On("2026-01-01", (1, 150, 149), "full", ("ended", "in_validity"), duties=ANY),
         On("2026-01-10", (4, 150, 146), "full", ("ended", "in_validity"), employer="Bay Robotics STEM", duties=ANY)),
        ("2025-01-01 account_due", "2028-01-01 opt_ended 2027-12-31", "2028-06-01 access_ending 2028-06-30",
         "2028-07-01 access_closed 2028-06-30", *STEM_2026_REMINDERS),
    ),
    Story(
        "STEM approved after the OPT end: the wait counts under the extension; access ends six months after the STEM end",
        f"{EXTENSION}; {ACCESS}; issue 11 finding 5",
        student(program(1, post(10, "2024-01-01", "2024-12-31", decided="2023-12-01"),
                        stem(20, "2025-01-01", "2026-12-31", ead=("2025-03-01", "2027-02-28"), filed="2024-11-01",
                             decided="2025-02-20")),
                jobs=[job(100, 10, "North Star Data", "2024-01-01"),
                      job(101, 20, "North Star Data (STEM)", "2025-03-01", review=ACCEPTED)]),
        (On("2025-02-01", (0, 90, 90), "full", ("ended", "approved"), employer="North Star Data", counting=True,
            extension=None, duties=ANY),
         On("2025-03-01", (0, 150, 150), "full", ("ended", "in_validity"), employer="North Star Data (STEM)",
            duties=ANY, jobs=("North Star Data: current, not counted", "North Star Data (STEM): current")),
         On("2027-03-15", (0, 150, 150), "full", ("ended", "ended"), employer="North Star Data (STEM)", duties=ANY,
            counting=False, asks=True),
         On("2027-03-16", (0, 150, 150), "read_only", ("ended", "ended"), employer="North Star Data (STEM)",
            duties=ANY, asks=False),
         On("2027-08-28", (0, 150, 150), "read_only", ("ended", "ended"), employer="North Star Data (STEM)",
            duties=ANY, read_only_until="2027-08-28"),
         On("2027-08-29", (0, 150, 150), "closed", ("ended", "ended"), employer="North Star Data (STEM)", duties=ANY)),
        ("2024-01-01 account_due", "2027-03-01 opt_ended 2027-02-28", "2027-07-30 access_ending 2027-08-28",
         "2027-08-29 access_closed 2027-08-28", "2025-08-02 duty_reminder stem_confirmation:6",
         "2026-01-30 duty_reminder stem_confirmation:12", "2026-01-30 duty_reminder i983_evaluation:12",
         "2026-08-02 duty_reminder stem_confirmation:18", "2027-01-29 duty_reminder i983_final_evaluation:",
         "2027-01-30 duty_reminder stem_confirmation:24"),
    ),
    Story(
        "finding 4: early completion on STEM closes every STEM duty and its reminders; read-only at once",
        f"{STEM_DUTIES}; {ACCESS}; issue 11 findings 4 and 10",
        student(program(1, post(10, "2024-01-01", "2024-12-31", decided="2023-12-01"),
                        stem(20, "2025-01-01", "2026-12-31", filed="2024-10-01", decided="2024-12-10",
                             ended="2025-10-15"),
                        status=COMPLETED, completed="2025-10-15"),
                jobs=[job(100, 10, "Maple Systems", "2024-01-01", "2024-12-31"),
                      job(101, 20, "Maple Systems STEM", "2025-01-01", review=ACCEPTED)]),
        (On("2025-10-15", (0, 150, 150), "read_only", ("ended", "in_validity"), employer="Maple Systems STEM",
            duties=all_duties(STEM_2025_DUTIES, "closed"), duty_reason="The STEM OPT ended early, on October 15, 2025.",
            asks=False),
         On("2025-10-16", (0, 150, 150), "read_only", ("ended", "completed_early"), employer="Maple Systems STEM",
            duties=all_duties(STEM_2025_DUTIES, "closed"), counting=False, asks=False),
         On("2027-06-30", (0, 150, 150), "read_only", ("ended", "completed_early"), employer="Maple Systems STEM",
            duties=ANY, read_only_until="2027-06-30"),
         On("2027-07-01", (0, 150, 150), "closed", ("ended", "completed_early"), employer="Maple Systems STEM",
            duties=ANY)),
        ("2024-01-01 account_due", "2025-10-16 opt_ended 2025-10-15", "2027-06-01 access_ending 2027-06-30", "2027-07-01 access_closed 2027-06-30"),
    ),
    Story(
        "finding 4: a transfer closes the STEM duties; the new school's record starts with no OPT and no count",
        f"{PROGRAMS}; {STEM_DUTIES}; issue 11 finding 4",
        student(program(1, post(10, "2024-01-01", "2024-12-31", decided="2023-12-01"),
                        stem(20, "2025-01-01", "2026-12-31", decided="2024-12-10", ended="2025-08-01"),
                        status=TRANSFERRED, completed="2025-08-01"),
                program(2),
                jobs=[job(101, 20, "Maple Systems STEM", "2025-01-01", review=ACCEPTED)]),
        (On("2025-08-05", (0, 0, 0), "full", (), duties=all_duties(STEM_2025_DUTIES, "closed"),
            duty_reason="The student transferred to another school.", jobs=()),),
        (),
    ),
    Story(
        "finding 4: a change of level closes the STEM duties; the new program's OPT is pending",
        f"{PROGRAMS}; {STEM_DUTIES}; issue 11 finding 4",
        student(program(1, post(10, "2024-01-01", "2024-12-31", decided="2023-12-01"),
                        stem(20, "2025-01-01", "2026-12-31", decided="2024-12-10", ended="2025-08-01"),
                        status=COMPLETED, completed="2025-08-01"),
                program(2, post(11, "2026-06-01", "2027-05-31", status=PENDING, filed="2026-03-01")),
                jobs=[job(101, 20, "Maple Systems STEM", "2025-01-01", review=ACCEPTED)]),
        (On("2025-08-05", (0, 0, 0), "full", ("pending",), duties=all_duties(STEM_2025_DUTIES, "closed"),
            duty_reason="The student changed education level.", asks=True),),
        (),
    ),
    Story(
        "finding 5 and 10: after the OPT end, 15 days to report, read-only to the six-month day, closed the day after",
        f"{ACCESS}; issue 11 findings 5 and 10",
        student(program(1, post(10, "2024-01-01", "2024-12-31", decided="2023-12-01")),
                jobs=[job(100, 10, "Cedar Health", "2024-01-01", "2024-12-31")]),
        (On("2024-12-31", (0, 90, 90), "full", ("in_validity",), employer="Cedar Health", asks=True),
         On("2025-01-15", (0, 90, 90), "full", ("ended",), asks=True, counting=False, jobs=("Cedar Health: past",)),
         On("2025-01-16", (0, 90, 90), "read_only", ("ended",), asks=False),
         On("2025-06-30", (0, 90, 90), "read_only", ("ended",), read_only_until="2025-06-30", asks=False),
         On("2025-07-01", (0, 90, 90), "closed", ("ended",), asks=False)),
        ("2024-01-01 account_due", "2025-01-01 opt_ended 2024-12-31", "2025-06-01 access_ending 2025-06-30",
         "2025-07-01 access_closed 2025-06-30"),
    ),
    Story(
        "access closes exactly on the six-month day: an OPT ending March 31 reads until September 30",
        ACCESS,
        student(program(1, post(10, "2024-04-01", "2025-03-31", decided="2024-03-01")),
                jobs=[job(100, 10, "Cedar Health", "2024-04-01", "2025-03-31")]),
        (On("2025-09-30", (0, 90, 90), "read_only", ("ended",), read_only_until="2025-09-30"),
         On("2025-10-01", (0, 90, 90), "closed", ("ended",))),
        ("2024-04-01 account_due", "2025-04-01 opt_ended 2025-03-31", "2025-09-01 access_ending 2025-09-30",
         "2025-10-01 access_closed 2025-09-30"),
    ),
    Story(
        "Aug 31 plus six months is Feb 28 in a common year: read-only through Feb 28, closed on Mar 1",
        ACCESS,
        student(program(1, post(10, "2024-09-01", "2025-08-31", decided="2024-08-01")),
                jobs=[job(100, 10, "Cedar Health", "2024-09-01", "2025-08-31")]),
        (On("2026-02-28", (0, 90, 90), "read_only", ("ended",), read_only_until="2026-02-28"),
         On("2026-03-01", (0, 90, 90), "closed", ("ended",))),
        ("2024-09-01 account_due", "2025-09-01 opt_ended 2025-08-31", "2026-01-30 access_ending 2026-02-28",
         "2026-03-01 access_closed 2026-02-28"),
    ),
    Story(
        "Aug 31 plus six months is Feb 29 in a leap year: read-only through Feb 29, closed on Mar 1",
        ACCESS,
        student(program(1, post(10, "2022-09-01", "2023-08-31", decided="2022-08-01")),
                jobs=[job(100, 10, "Cedar Health", "2022-09-01", "2023-08-31")]),
        (On("2024-02-29", (0, 90, 90), "read_only", ("ended",), read_only_until="2024-02-29"),
         On("2024-03-01", (0, 90, 90), "closed", ("ended",))),
        ("2022-09-01 account_due", "2023-09-01 opt_ended 2023-08-31", "2024-01-31 access_ending 2024-02-29",
         "2024-03-01 access_closed 2024-02-29"),
    ),
    Story(
        "an OPT starting on Feb 29 counts the leap day",
        f"{UNEMPLOYMENT}; {ACCESS}",
        student(program(1, post(10, "2024-02-29", "2025-02-28", decided="2024-02-01"))),
        (On("2024-02-29", (1, 90, 89), "full", ("in_validity",)),
         On("2024-03-31", (32, 90, 58), "full", ("in_validity",), runs_out="2024-05-28", nearing=False)),
        ("2024-02-29 account_due", "2024-04-28 unemployment_reached 60", "2024-05-18 unemployment_reached 80",
         "2024-05-28 unemployment_reached 90", "2025-03-01 opt_ended 2025-02-28",
         "2025-07-30 access_ending 2025-08-28", "2025-08-29 access_closed 2025-08-28"),
    ),
    Story(
        "an OPT ending on Feb 29: the leap day is its last counted day; six months later is Aug 29",
        f"{UNEMPLOYMENT}; {ACCESS}",
        student(program(1, post(10, "2023-03-01", "2024-02-29", decided="2023-02-01")),
                jobs=[job(100, 10, "Pine Logistics", "2023-03-01", "2024-01-31")]),
        (On("2024-02-29", (29, 90, 61), "full", ("in_validity",), counting=True),
         On("2024-03-01", (29, 90, 61), "full", ("ended",), counting=False),
         On("2024-08-29", (29, 90, 61), "read_only", ("ended",), read_only_until="2024-08-29"),
         On("2024-08-30", (29, 90, 61), "closed", ("ended",))),
        ("2023-03-01 account_due", "2024-03-01 opt_ended 2024-02-29", "2024-07-31 access_ending 2024-08-29",
         "2024-08-30 access_closed 2024-08-29"),
    ),
    Story(
        "finding 6: a STEM employer the DSO returned does not count; on STEM days 90 is no limit, 150 is",
        f"{UNEMPLOYMENT}; 8 CFR 214.2(f)(10)(ii)(C) (I-983); issue 11 finding 6",
        student(program(1, post(10, "2024-01-01", "2024-12-31", decided="2023-12-01"),
                        stem(20, "2025-01-01", "2026-12-31", filed="2024-10-01", decided="2024-12-10")),
                jobs=[job(100, 10, "Lakeview Labs", "2024-01-01", "2024-12-31"),
                      job(101, 20, "Lakeview Labs (STEM)", "2025-01-01", review=RETURNED)]),
        (On("2025-02-28", (59, 150, 91), "full", ("ended", "in_validity"), employer="Lakeview Labs (STEM)",
            duties=ANY, counting=True, jobs=("Lakeview Labs (STEM): current, not counted", "Lakeview Labs: past")),
         On("2025-03-01", (60, 150, 90), "full", ("ended", "in_validity"), employer="Lakeview Labs (STEM)", duties=ANY),
         On("2025-04-29", (119, 150, 31), "full", ("ended", "in_validity"), employer="Lakeview Labs (STEM)",
            duties=ANY, nearing=False),
         On("2025-04-30", (120, 150, 30), "full", ("ended", "in_validity"), employer="Lakeview Labs (STEM)",
            duties=ANY, nearing=True, runs_out="2025-05-30")),
        ("2024-01-01 account_due", "2025-03-01 unemployment_reached 60", "2025-03-21 unemployment_reached 80",
         "2025-05-30 unemployment_reached 150", "2027-01-01 opt_ended 2026-12-31",
         "2027-06-01 access_ending 2027-06-30", "2027-07-01 access_closed 2027-06-30", *STEM_2025_REMINDERS),
    ),
    Story(
        "finding 6: the same STEM employer counts once the DSO accepts it",
        f"{UNEMPLOYMENT}; 8 CFR 214.2(f)(10)(ii)(C) (I-983); issue 11 finding 6",
        student(program(1, post(10, "2024-01-01", "2024-12-31", decided="2023-12-01"),
                        stem(20, "2025-01-01", "2026-12-31", filed="2024-10-01", decided="2024-12-10")),
                jobs=[job(100, 10, "Lakeview Labs", "2024-01-01", "2024-12-31"),
                      job(101, 20, "Lakeview Labs (STEM)", "2025-01-01", review=ACCEPTED)]),
        (On("2025-03-01", (0, 150, 150), "full", ("ended", "in_validity"), employer="Lakeview Labs (STEM)",
            duties=ANY, jobs=("Lakeview Labs (STEM): current", "Lakeview Labs: past")),),
        ("2024-01-01 account_due", "2027-01-01 opt_ended 2026-12-31", "2027-06-01 access_ending 2027-06-30",
         "2027-07-01 access_closed 2027-06-30", *STEM_2025_REMINDERS),
    ),
    Story(
        "finding 7: unemployment is cumulative: 85 of 90 across three gaps raises the nearing-limit alert",
        f"{UNEMPLOYMENT}; issue 11 finding 7",
        student(program(1, post(10, "2025-01-01", "2025-12-31", decided="2024-12-01")),
                jobs=[job(100, 10, "Orchard Bank", "2025-02-01", "2025-03-31"),
                      job(101, 10, "Summit Retail", "2025-05-01", "2025-06-30"),
                      job(102, 10, "Riverside Clinic", "2025-08-01")]),
        (On("2025-04-28", (59, 90, 31), "full", ("in_validity",), nearing=False),
         On("2025-04-29", (60, 90, 30), "full", ("in_validity",), nearing=True),
         On("2025-07-24", (85, 90, 5), "full", ("in_validity",), nearing=True, runs_out="2025-07-29"),
         On("2025-08-15", (92, 90, 0), "full", ("in_validity",), employer="Riverside Clinic", nearing=True)),
        ("2025-01-01 account_due", "2025-04-29 unemployment_reached 60", "2025-07-19 unemployment_reached 80",
         "2025-07-29 unemployment_reached 90", *ENDS_2025),
    ),
    Story(
        "finding 8: a job that ended in October is past, one starting in January upcoming; neither is current",
        f"{EMPLOYMENT}; {UNEMPLOYMENT}; issue 11 finding 8",
        student(program(1, post(10, "2025-06-01", "2026-05-31", decided="2025-05-01")),
                jobs=[job(100, 10, "Granite Works", "2025-06-01", "2025-10-15"),
                      job(101, 10, "Copper Studio", "2026-01-05")]),
        (On("2025-10-15", (0, 90, 90), "full", ("in_validity",), employer="Granite Works",
            jobs=("Copper Studio: upcoming", "Granite Works: current")),
         On("2025-11-20", (36, 90, 54), "full", ("in_validity",), employer=None,
            jobs=("Copper Studio: upcoming", "Granite Works: past")),
         On("2026-01-05", (81, 90, 9), "full", ("in_validity",), employer="Copper Studio",
            jobs=("Copper Studio: current", "Granite Works: past"))),
        ("2025-06-01 account_due", "2025-12-14 unemployment_reached 60", "2026-01-03 unemployment_reached 80",
         "2026-06-01 opt_ended 2026-05-31", "2026-11-01 access_ending 2026-11-30", "2026-12-01 access_closed 2026-11-30"),
    ),
    Story(
        "finding 11: the six-month STEM confirmation opens 30 days before the mark and is due 10 days after it",
        f"{STEM_DUTIES}; issue 11 finding 11",
        student(program(1, post(10, "2024-01-01", "2024-12-31", decided="2023-12-01"),
                        stem(20, "2025-01-01", "2026-12-31", filed="2024-10-01", decided="2024-12-10")),
                jobs=[job(100, 10, "Quarry AI", "2024-01-01", "2024-12-31"),
                      job(101, 20, "Quarry AI STEM", "2025-01-01", review=ACCEPTED)]),
        (On("2025-05-31", (0, 150, 150), "full", ("ended", "in_validity"), employer="Quarry AI STEM",
            duties=all_duties(STEM_2025_DUTIES, "upcoming")),
         On("2025-06-01", (0, 150, 150), "full", ("ended", "in_validity"), employer="Quarry AI STEM",
            duties=("stem_confirmation:6 open due 2025-07-11", *all_duties(STEM_2025_DUTIES[1:], "upcoming"))),
         On("2025-07-11", (0, 150, 150), "full", ("ended", "in_validity"), employer="Quarry AI STEM",
            duties=("stem_confirmation:6 open due 2025-07-11", *all_duties(STEM_2025_DUTIES[1:], "upcoming"))),
         On("2025-07-12", (0, 150, 150), "full", ("ended", "in_validity"), employer="Quarry AI STEM",
            duties=("stem_confirmation:6 overdue due 2025-07-11", *all_duties(STEM_2025_DUTIES[1:], "upcoming")))),
        ("2024-01-01 account_due", "2027-01-01 opt_ended 2026-12-31", "2027-06-01 access_ending 2027-06-30",
         "2027-07-01 access_closed 2027-06-30", *STEM_2025_REMINDERS),
    ),
    Story(
        "early completion: read-only at once, six months from the authorized end, 'OPT ended' the day after the completion",
        f"{ACCESS}; issue 11 finding 10",
        student(program(1, post(10, "2025-01-01", "2025-12-31", decided="2024-12-01", ended="2025-09-15"),
                        status=COMPLETED, completed="2025-09-15"),
                jobs=[job(100, 10, "Elm Street Books", "2025-01-01")]),
        (On("2025-09-15", (0, 90, 90), "read_only", ("in_validity",), employer="Elm Street Books", counting=True,
            asks=False),
         On("2025-09-16", (0, 90, 90), "read_only", ("completed_early",), employer="Elm Street Books", counting=False),
         On("2026-06-30", (0, 90, 90), "read_only", ("completed_early",), employer="Elm Street Books",
            read_only_until="2026-06-30"),
         On("2026-07-01", (0, 90, 90), "closed", ("completed_early",), employer="Elm Street Books")),
        ("2025-01-01 account_due", "2025-09-16 opt_ended 2025-09-15", "2026-06-01 access_ending 2026-06-30", "2026-07-01 access_closed 2026-06-30"),
    ),
    Story(
        "a transfer with a new OPT: a new count from the new OPT's start; the old school's job is gone",
        PROGRAMS,
        student(program(1, post(10, "2025-01-01", "2025-12-31", decided="2024-12-01", ended="2025-06-30"),
                        status=TRANSFERRED, completed="2025-06-30"),
                program(2, post(11, "2026-01-01", "2026-12-31", decided="2025-12-01")),
                jobs=[job(100, 10, "Old Town Cafe", "2025-02-20", "2025-06-30")]),
        (On("2025-12-15", (0, 90, 90), "full", ("approved",), counting=False, jobs=()),
         On("2026-01-10", (10, 90, 80), "full", ("in_validity",), counting=True)),
        ("2026-01-01 account_due", "2026-03-01 unemployment_reached 60", "2026-03-21 unemployment_reached 80",
         "2026-03-31 unemployment_reached 90", "2027-01-01 opt_ended 2026-12-31",
         "2027-06-01 access_ending 2027-06-30", "2027-07-01 access_closed 2027-06-30"),
    ),
    Story(
        "STEM denied: the STEM OPT and its employer leave the view, its duties close, the extension ends the day before",
        f"seed 001 Q8; DESIGN rule 6; {EXTENSION}; {STEM_DUTIES}",
        student(program(1, post(10, "2024-07-01", "2025-06-30", decided="2024-06-01"),
                        stem(20, "2025-07-01", "2027-06-30", status=DENIED, filed="2025-05-01", decided="2025-09-10")),
                jobs=[job(100, 10, "Harbor Labs", "2024-07-01"),
                      job(101, 20, "Harbor Labs (STEM)", "2025-07-01", review=WAITING)]),
        (On("2025-09-09", (0, 90, 90), "full", ("ended",), employer="Harbor Labs", counting=True, extension=None,
            jobs=("Harbor Labs: current",), opt_end="2025-09-09", duty_reason="The STEM OPT extension was denied.",
            duties=("stem_confirmation:6 closed due 2026-01-11", "stem_confirmation:12 closed due 2026-07-11",
                    "i983_evaluation:12 closed due 2026-07-11", "stem_confirmation:18 closed due 2027-01-11",
                    "stem_confirmation:24 closed due 2027-07-11", "i983_final_evaluation closed due 2027-07-10")),
         On("2025-09-10", (0, 90, 90), "full", ("ended",), employer="Harbor Labs", counting=False, duties=ANY),
         On("2025-09-24", (0, 90, 90), "full", ("ended",), employer="Harbor Labs", duties=ANY, asks=True),
         On("2025-09-25", (0, 90, 90), "read_only", ("ended",), employer="Harbor Labs", duties=ANY, asks=False),
         On("2026-03-09", (0, 90, 90), "read_only", ("ended",), employer="Harbor Labs", duties=ANY,
            read_only_until="2026-03-09"),
         On("2026-03-10", (0, 90, 90), "closed", ("ended",), employer="Harbor Labs", duties=ANY)),
        ("2024-07-01 account_due", "2025-09-10 opt_ended 2025-09-09", "2026-02-08 access_ending 2026-03-09",
         "2026-03-10 access_closed 2026-03-09"),
    ),
    Story(
        "crossing 90 days and then finding a job: the count stays past the limit, the job stops it growing",
        UNEMPLOYMENT,
        student(program(1, post(10, "2025-01-01", "2025-12-31", decided="2024-12-01")),
                jobs=[job(100, 10, "Willow Foods", "2025-04-11")]),
        (On("2025-03-31", (90, 90, 0), "full", ("in_validity",), nearing=True, runs_out="2025-03-31"),
         On("2025-04-10", (100, 90, 0), "full", ("in_validity",)),
         On("2025-05-01", (100, 90, 0), "full", ("in_validity",), employer="Willow Foods", nearing=True)),
        ("2025-01-01 account_due", *THRESHOLDS_FROM_JAN_1_2025, *ENDS_2025),
    ),
    Story(
        "part-time work counts as employment",
        f"{UNEMPLOYMENT}; SEVIS EmploymentTimeType 02 (part time)",
        student(program(1, post(10, "2025-01-01", "2025-12-31", decided="2024-12-01")),
                jobs=[job(100, 10, "Corner Library", "2025-01-11", part_time=True)]),
        (On("2025-06-01", (10, 90, 80), "full", ("in_validity",), employer="Corner Library"),),
        ("2025-01-01 account_due", *ENDS_2025),
    ),
    Story(
        "gaps between overlapping jobs: the later one shows as current; either covers the day",
        f"{EMPLOYMENT}; {UNEMPLOYMENT}",
        student(program(1, post(10, "2025-01-01", "2025-12-31", decided="2024-12-01")),
                jobs=[job(100, 10, "Alder Tech", "2025-01-01", "2025-06-30"),
                      job(101, 10, "Birch Partners", "2025-03-01", part_time=True)]),
        (On("2025-02-01", (0, 90, 90), "full", ("in_validity",), employer="Alder Tech",
            jobs=("Alder Tech: current", "Birch Partners: upcoming")),
         On("2025-04-01", (0, 90, 90), "full", ("in_validity",), employer="Birch Partners"),
         On("2025-07-01", (0, 90, 90), "full", ("in_validity",), employer="Birch Partners",
            jobs=("Alder Tech: past", "Birch Partners: current"))),
        ("2025-01-01 account_due", *ENDS_2025),
    ),
    Story(
        "on STEM days neither a post-completion employer nor a STEM employer waiting for review counts",
        f"{UNEMPLOYMENT}; 8 CFR 214.2(f)(10)(ii)(C) (I-983)",
        student(program(1, post(10, "2024-01-01", "2024-12-31", decided="2023-12-01"),
                        stem(20, "2025-01-01", "2026-12-31", filed="2024-10-01", decided="2024-12-10")),
                jobs=[job(100, 10, "Delta Freight", "2024-01-01"),
                      job(101, 20, "Delta Freight (STEM)", "2025-01-01", review=WAITING)]),
        (On("2024-12-31", (0, 90, 90), "full", ("in_validity", "approved"), employer="Delta Freight", duties=ANY,
            jobs=("Delta Freight: current", "Delta Freight (STEM): upcoming, not counted")),
         On("2025-01-31", (31, 150, 119), "full", ("ended", "in_validity"), employer="Delta Freight (STEM)", duties=ANY,
            jobs=("Delta Freight: current, not counted", "Delta Freight (STEM): current, not counted"))),
        ("2024-01-01 account_due", "2025-03-01 unemployment_reached 60", "2025-03-21 unemployment_reached 80",
         "2025-05-30 unemployment_reached 150", "2027-01-01 opt_ended 2026-12-31",
         "2027-06-01 access_ending 2027-06-30", "2027-07-01 access_closed 2027-06-30", *STEM_2025_REMINDERS),
    ),
    Story(
        "90 days used before the STEM start is the limit then; the STEM OPT adds 60 from its own start",
        f"{UNEMPLOYMENT}; {STEM_DUTIES}",
        student(program(1, post(10, "2025-01-01", "2025-12-31", decided="2024-12-01"),
                        stem(20, "2026-01-01", "2027-12-31", filed="2025-10-01", decided="2025-11-15")),
                jobs=[job(100, 10, "Hazel Labs", "2025-04-01"),
                      job(101, 20, "Hazel Labs (STEM)", "2026-01-21", review=ACCEPTED)]),
        (On("2025-12-31", (90, 90, 0), "full", ("in_validity", "approved"), employer="Hazel Labs", duties=ANY,
            nearing=True, runs_out="2025-03-31"),
         On("2026-01-01", (91, 150, 59), "full", ("ended", "in_validity"), employer="Hazel Labs", duties=ANY,
            jobs=("Hazel Labs: current, not counted", "Hazel Labs (STEM): upcoming")),
         On("2026-01-21", (110, 150, 40), "full", ("ended", "in_validity"), employer="Hazel Labs (STEM)", duties=ANY,
            nearing=False)),
        ("2025-01-01 account_due", *THRESHOLDS_FROM_JAN_1_2025, "2028-01-01 opt_ended 2027-12-31",
         "2028-06-01 access_ending 2028-06-30", "2028-07-01 access_closed 2028-06-30", *STEM_2026_REMINDERS),
    ),
    Story(
        "a pending STEM request with a job reported under it: the job counts during the extension",
        f"{EXTENSION}; seed 001 Q6 (employment editable while STEM is pending)",
        student(program(1, post(10, "2024-07-01", "2025-06-30", decided="2024-06-01"),
                        stem(20, "2025-07-01", "2027-06-30", status=PENDING, filed="2025-05-01")),
                jobs=[job(100, 10, "Harbor Labs", "2024-07-01", "2025-06-30"),
                      job(101, 20, "Kestrel Energy", "2025-07-10", review=WAITING)]),
        (On("2025-07-20", (9, 90, 81), "full", ("ended", "pending"), employer="Kestrel Energy", counting=True,
            asks=True, extension="2025-12-27"),),
        ("2024-07-01 account_due", *EXTENSION_RAN_OUT_2025),
    ),
    Story(
        "the nearing-limit alert: 31 days left is not nearing, 30 is, and it stops when the OPT ends",
        f"{UNEMPLOYMENT}; SEVIS release 6.41 (DSO alert)",
        student(program(1, post(10, "2025-01-01", "2025-12-31", decided="2024-12-01"))),
        (On("2025-02-28", (59, 90, 31), "full", ("in_validity",), nearing=False),
         On("2025-03-01", (60, 90, 30), "full", ("in_validity",), nearing=True),
         On("2025-12-31", (365, 90, 0), "full", ("in_validity",), nearing=True),
         On("2026-01-01", (365, 90, 0), "full", ("ended",), nearing=False, counting=False)),
        ("2025-01-01 account_due", *THRESHOLDS_FROM_JAN_1_2025, *ENDS_2025),
    ),
    Story(
        "an EAD shorter than requested: the count and the six months follow the EAD's dates",
        f"{UNEMPLOYMENT}; {ACCESS}",
        student(program(1, post(10, "2025-01-01", "2025-12-31", ead=("2025-01-15", "2026-01-14"), decided="2025-01-10")),
                jobs=[job(100, 10, "Spruce Media", "2025-01-25")]),
        (On("2025-02-01", (10, 90, 80), "full", ("in_validity",), employer="Spruce Media"),
         On("2026-01-14", (10, 90, 80), "full", ("in_validity",), employer="Spruce Media", counting=True),
         On("2026-01-15", (10, 90, 80), "full", ("ended",), employer="Spruce Media", counting=False)),
        ("2025-01-15 account_due", "2026-01-15 opt_ended 2026-01-14", "2026-06-15 access_ending 2026-07-14",
         "2026-07-15 access_closed 2026-07-14"),
    ),
    Story(
        "an approved OPT without EAD dates yet falls back to the requested ones",
        UNEMPLOYMENT,
        student(program(1, post(10, "2025-01-01", "2025-12-31", ead=(), decided="2024-12-01"))),
        (On("2025-01-10", (10, 90, 80), "full", ("in_validity",)),),
        ("2025-01-01 account_due", *THRESHOLDS_FROM_JAN_1_2025, *ENDS_2025),
    ),
    Story(
        "a pending OPT: no count, no account, no email",
        f"{ACCOUNT}; {UNEMPLOYMENT}",
        student(program(1, post(10, "2025-06-01", "2026-05-31", status=PENDING, filed="2025-03-01"))),
        (On("2025-07-01", (0, 0, 0), "full", ("pending",), counting=False, asks=True, nearing=False),),
        (),
    ),
    Story(
        "a denied OPT stays in view as denied and counts nothing",
        f"{UNEMPLOYMENT}; DESIGN rule 6 (only a denied STEM OPT leaves the view)",
        student(program(1, post(10, "2025-06-01", "2026-05-31", status=DENIED, filed="2025-03-01",
                                decided="2025-05-01"))),
        (On("2025-07-01", (0, 0, 0), "full", ("denied",), counting=False, asks=False),),
        (),
    ),
    Story(
        "a terminated record closes access at once, and the access-closed email goes that day (none before)",
        f"{ACCESS} ('a change of status closes it at once')",
        student(program(1, post(10, "2025-01-01", "2025-12-31", decided="2024-12-01", ended="2025-04-15"),
                        status=TERMINATED, completed="2025-04-15"),
                jobs=[job(100, 10, "Oak Street Bakery", "2025-01-01")]),
        (On("2025-05-01", (0, 90, 90), "closed", ("completed_early",), employer="Oak Street Bakery", asks=False,
            counting=False),),
        ("2025-01-01 account_due", "2025-04-15 access_closed 2025-04-15"),
    ),
    Story(
        "US Eastern DST days are ordinary days in the count",
        f"{UNEMPLOYMENT}; DESIGN 'timestamps shown in US Eastern time'",
        student(program(1, post(10, "2025-03-09", "2026-03-08", decided="2025-02-01")),
                jobs=[job(100, 10, "Fir Consulting", "2025-03-10")]),
        (On("2025-03-09", (1, 90, 89), "full", ("in_validity",), counting=True),
         On("2025-11-02", (1, 90, 89), "full", ("in_validity",), employer="Fir Consulting")),
        ("2025-03-09 account_due", "2026-03-09 opt_ended 2026-03-08", "2026-08-10 access_ending 2026-09-08",
         "2026-09-09 access_closed 2026-09-08"),
    ),
    Story(
        "a STEM OPT starting on Feb 29: its marks fall on the 29th or the month's last day",
        f"{STEM_DUTIES}; {ACCESS}",
        student(program(1, post(10, "2023-03-01", "2024-02-28", decided="2023-02-01"),
                        stem(20, "2024-02-29", "2026-02-28", filed="2024-01-10", decided="2024-02-15")),
                jobs=[job(100, 10, "Aspen Bio", "2023-03-01", "2024-02-28"),
                      job(101, 20, "Aspen Bio (STEM)", "2024-02-29", review=ACCEPTED)]),
        (On("2024-02-28", (0, 90, 90), "full", ("in_validity", "approved"), employer="Aspen Bio", duties=ANY),
         On("2024-08-01", (0, 150, 150), "full", ("ended", "in_validity"), employer="Aspen Bio (STEM)",
            duties=("stem_confirmation:6 open due 2024-09-08", "stem_confirmation:12 upcoming due 2025-03-10",
                    "i983_evaluation:12 upcoming due 2025-03-10", "stem_confirmation:18 upcoming due 2025-09-08",
                    "stem_confirmation:24 upcoming due 2026-03-10", "i983_final_evaluation upcoming due 2026-03-10"))),
        ("2023-03-01 account_due", "2026-03-01 opt_ended 2026-02-28", "2026-07-30 access_ending 2026-08-28",
         "2026-08-29 access_closed 2026-08-28", "2024-07-30 duty_reminder stem_confirmation:6",
         "2025-01-29 duty_reminder stem_confirmation:12", "2025-01-29 duty_reminder i983_evaluation:12",
         "2025-07-30 duty_reminder stem_confirmation:18", "2026-01-29 duty_reminder stem_confirmation:24",
         "2026-01-29 duty_reminder i983_final_evaluation:"),
    ),
    Story(
        "a STEM OPT shorter than a year has its six-month confirmation and the final evaluation only",
        STEM_DUTIES,
        student(program(1, post(10, "2024-01-01", "2024-12-31", decided="2023-12-01"),
                        stem(20, "2025-01-01", "2025-10-31", filed="2024-10-01", decided="2024-12-10")),
                jobs=[job(100, 10, "Birch Optics", "2024-01-01", "2024-12-31"),
                      job(101, 20, "Birch Optics (STEM)", "2025-01-01", review=ACCEPTED)]),
        (On("2025-06-15", (0, 150, 150), "full", ("ended", "in_validity"), employer="Birch Optics (STEM)",
            duties=("stem_confirmation:6 open due 2025-07-11", "i983_final_evaluation upcoming due 2025-11-10")),),
        ("2024-01-01 account_due", "2025-11-01 opt_ended 2025-10-31", "2026-04-01 access_ending 2026-04-30",
         "2026-05-01 access_closed 2026-04-30", "2025-06-01 duty_reminder stem_confirmation:6",
         "2025-10-01 duty_reminder i983_final_evaluation:"),
    ),
    Story(
        "the account is due on the EAD start when approved ahead of it, and a job from day one leaves no count",
        f"{ACCOUNT}; {UNEMPLOYMENT}",
        student(program(1, post(10, "2025-09-01", "2026-08-31", decided="2025-07-15")),
                jobs=[job(100, 10, "Linden Games", "2025-09-01", "2026-08-31")]),
        (On("2025-08-15", (0, 90, 90), "full", ("approved",), counting=False, employer=None,
            jobs=("Linden Games: upcoming",)),
         On("2025-09-01", (0, 90, 90), "full", ("in_validity",), employer="Linden Games", runs_out="None")),
        ("2025-09-01 account_due", "2026-09-01 opt_ended 2026-08-31", "2027-01-30 access_ending 2027-02-28",
         "2027-03-01 access_closed 2027-02-28"),
    ),
    Story(
        "a job under the old program's OPT never counts for the new program",
        PROGRAMS,
        student(program(1, post(10, "2024-01-01", "2024-12-31", decided="2023-12-01", ended="2024-09-30"),
                        status=COMPLETED, completed="2024-09-30"),
                program(2, post(11, "2025-01-01", "2025-12-31", decided="2024-12-01")),
                jobs=[job(100, 10, "Poplar Press", "2024-01-01")]),
        (On("2025-01-20", (20, 90, 70), "full", ("in_validity",), employer=None, jobs=()),),
        ("2025-01-01 account_due", *THRESHOLDS_FROM_JAN_1_2025, *ENDS_2025),
    ),
    Story(
        "a job that ends on the OPT's last day and an upcoming one after it: past and upcoming, nothing counted after",
        f"{EMPLOYMENT}; {UNEMPLOYMENT}",
        student(program(1, post(10, "2025-01-01", "2025-12-31", decided="2024-12-01")),
                jobs=[job(100, 10, "Sequoia Health", "2025-01-01", "2025-12-31"),
                      job(101, 10, "Redwood Health", "2026-02-01")]),
        (On("2026-01-10", (0, 90, 90), "full", ("ended",), employer=None, counting=False,
            jobs=("Redwood Health: upcoming", "Sequoia Health: past")),),
        ("2025-01-01 account_due", *ENDS_2025),
    ),
    Story(
        "a STEM request still pending past day 180: authorization stops, the count with it; 15 days to report, "
        "read-only six months from the extension's last day, then closed; no 'OPT ended' while pending",
        f"{EXTENSION}; {ACCESS}",
        student(program(1, post(10, "2024-07-01", "2025-06-30", decided="2024-06-01"),
                        stem(20, "2025-07-01", "2027-06-30", status=PENDING, filed="2025-06-30"))),
        (On("2025-06-30", (365, 90, 0), "full", ("in_validity", "pending"), counting=True, extension="2025-12-27"),
         On("2025-12-27", (545, 90, 0), "full", ("ended", "pending"), counting=True, asks=True, opt_end="2025-12-27"),
         On("2026-01-11", (545, 90, 0), "full", ("ended", "pending"), counting=False, asks=True),
         On("2026-01-12", (545, 90, 0), "read_only", ("ended", "pending"), asks=False, read_only_until="2026-06-27"),
         On("2026-03-01", (545, 90, 0), "read_only", ("ended", "pending"), counting=False, nearing=False,
            extension="2025-12-27"),
         On("2026-06-27", (545, 90, 0), "read_only", ("ended", "pending"), read_only_until="2026-06-27"),
         On("2026-06-28", (545, 90, 0), "closed", ("ended", "pending"), asks=False)),
        ("2024-07-01 account_due", "2024-08-29 unemployment_reached 60", "2024-09-18 unemployment_reached 80",
         "2024-09-28 unemployment_reached 90", *EXTENSION_RAN_OUT_2025),
    ),
    Story(
        "a STEM request approved after day 180: full access again, the STEM OPT's own dates rule",
        f"{EXTENSION}; {ACCESS}",
        student(program(1, post(10, "2024-07-01", "2025-06-30", decided="2024-06-01"),
                        stem(20, "2025-07-01", "2027-06-30", ead=("2026-02-01", "2028-01-31"), filed="2025-05-01",
                             decided="2026-01-25")),
                jobs=[job(100, 10, "Harbor Labs", "2024-07-01", "2025-06-30"),
                      job(101, 20, "Harbor Labs (STEM)", "2026-02-01", review=ACCEPTED)]),
        (On("2026-01-20", (180, 90, 0), "full", ("ended", "approved"), counting=False, extension=None, duties=ANY),
         On("2026-02-01", (180, 150, 0), "full", ("ended", "in_validity"), employer="Harbor Labs (STEM)", duties=ANY,
            read_only_until="2028-07-31")),
        ("2024-07-01 account_due", "2025-08-29 unemployment_reached 60", "2025-09-18 unemployment_reached 80",
         "2025-09-28 unemployment_reached 90", "2028-02-01 opt_ended 2028-01-31", "2028-07-02 access_ending 2028-07-31",
         "2028-08-01 access_closed 2028-07-31", "2026-07-02 duty_reminder stem_confirmation:6",
         "2027-01-02 duty_reminder stem_confirmation:12", "2027-01-02 duty_reminder i983_evaluation:12",
         "2027-07-02 duty_reminder stem_confirmation:18", "2028-01-01 duty_reminder i983_final_evaluation:",
         "2028-01-02 duty_reminder stem_confirmation:24"),
    ),
    Story(
        "STEM denied: days worked under the hidden STEM employer while the request was pending stay employed days",
        f"DESIGN rules 3 and 6; {EXTENSION}; {UNEMPLOYMENT}",
        student(program(1, post(10, "2024-07-01", "2025-06-30", decided="2024-06-01"),
                        stem(20, "2025-07-01", "2027-06-30", status=DENIED, filed="2025-05-01", decided="2025-09-10")),
                jobs=[job(100, 10, "Harbor Labs", "2024-07-01", "2025-06-30"),
                      job(101, 20, "Kestrel Energy", "2025-07-21", review=WAITING)]),
        (On("2025-08-01", (20, 90, 70), "full", ("ended",), employer=None, counting=True, jobs=("Harbor Labs: past",),
            duties=ANY),
         On("2025-09-09", (20, 90, 70), "full", ("ended",), employer=None, counting=True, duties=ANY),
         On("2025-09-20", (20, 90, 70), "full", ("ended",), employer=None, counting=False, duties=ANY,
            jobs=("Harbor Labs: past",))),
        ("2024-07-01 account_due", "2025-09-10 opt_ended 2025-09-09", "2026-02-08 access_ending 2026-03-09",
         "2026-03-10 access_closed 2026-03-09"),
    ),
]
# fmt: on


def test_there_are_at_least_forty_stories_with_distinct_names():
    assert len(STORIES) >= 40
    assert len({story.name for story in STORIES}) == len(STORIES)


@pytest.mark.parametrize("story", STORIES, ids=[story.name for story in STORIES])
def test_what_the_portal_says_on_each_named_day(story):
    for on in story.days:
        got, want = said_on(story.facts, on)
        assert got == want, f"{story.name}, on {on.day} ({story.source})"


@pytest.mark.parametrize("story", STORIES, ids=[story.name for story in STORIES])
def test_which_emails_fall_on_which_days(story):
    assert emails_of(story.facts) == sorted(story.emails), f"{story.name} ({story.source})"


# --- The count on a US Eastern DST morning ------------------------------------------------------


def test_the_count_on_a_dst_morning_is_the_eastern_day_s_count():
    facts = student(program(1, post(10, "2025-10-01", "2026-09-30", decided="2025-09-01")))
    with time_machine.travel(datetime(2025, 11, 2, 4, 30, tzinfo=UTC), tick=False):  # 00:30 EDT, Nov 2
        used = timeline_for(facts, today_eastern()).unemployment.used
    assert used == 33  # Oct 1-31 and Nov 1-2
