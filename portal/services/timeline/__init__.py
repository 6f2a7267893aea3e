"""A student's OPT timeline: the one computation of their status on a day (DESIGN rules 1, 3-6, 15-17).

Everything the portal says about a student's time (OPT states, employment past/current/upcoming,
unemployment days, portal access, STEM duties) is computed here from plain facts and a day. The
computation is pure: no database, no clock. The package holds

- facts.py     the facts: what the records say, as plain values;
- view.py      what the timeline says on a day (``Timeline`` and its parts);
- limits.py    the numbers it counts with (allowances, thresholds, grace and duty spans);
- shape.py     the day-independent shape of the current program: windows, extension, unemployed days;
- compute.py   ``timeline_for(facts, today)``, and ``opts_running_on``: what ending a record on a day ends, and
               ``completed_early_on``: the facts as an early completion on a day leaves them;
- marks.py     ``marks_for(facts)``: the dated marks the daily notices and the DSO lists read;
- database.py  the only part that touches the database: loads the facts, reads students' timelines, and keeps
               the stored marks current on every flush (import it by its own name; this package stays pure).

Every email is re-checked against ``timeline_for`` on its send day. The names below are the package's public ones.
"""

from portal.services.timeline.compute import completed_early_on, opts_running_on, timeline_for
from portal.services.timeline.facts import JobFacts, OptFacts, ProgramFacts, StudentFacts
from portal.services.timeline.limits import (
    ACCESS_ENDING_DAYS,
    EMAIL_THRESHOLDS,
    NEARING_LIMIT_REMAINING,
    POST_COMPLETION_ALLOWANCE,
    STEM_EXTRA_ALLOWANCE,
)
from portal.services.timeline.marks import MARKS_VERSION, Mark, MarkKind, marks_for
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
    StemExtension,
    Timeline,
    UnemploymentCount,
)

__all__ = [
    "ACCESS_ENDING_DAYS",
    "EMAIL_THRESHOLDS",
    "MARKS_VERSION",
    "NEARING_LIMIT_REMAINING",
    "POST_COMPLETION_ALLOWANCE",
    "STEM_EXTRA_ALLOWANCE",
    "Access",
    "AccessLevel",
    "Duty",
    "DutyKind",
    "DutyState",
    "EmploymentState",
    "Job",
    "JobFacts",
    "Mark",
    "MarkKind",
    "OptFacts",
    "OptState",
    "OptView",
    "ProgramFacts",
    "StemExtension",
    "StudentFacts",
    "Timeline",
    "UnemploymentCount",
    "completed_early_on",
    "marks_for",
    "opts_running_on",
    "timeline_for",
]
