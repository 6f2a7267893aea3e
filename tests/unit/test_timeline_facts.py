"""The timeline's facts: an OPT's dates once approved (rule 16) and the program record a student sees (rule 4)."""

from datetime import date

import pytest

from portal.models.enums import OptKind, OptStatus, ProgramStatus
from portal.services.timeline.facts import OptFacts, ProgramFacts, StudentFacts

D = date.fromisoformat


@pytest.mark.parametrize(
    ("actual", "ended_on", "start", "end", "last_valid_day"),
    [
        ((None, None), None, "2026-01-01", "2026-12-31", "2026-12-31"),  # pending: the requested dates
        (("2026-02-10", "2027-02-09"), None, "2026-02-10", "2027-02-09", "2027-02-09"),  # the EAD's dates win
        (("2026-02-10", "2027-02-09"), "2026-08-31", "2026-02-10", "2027-02-09", "2026-08-31"),  # ended early
        (("2026-02-10", "2027-02-09"), "2027-06-30", "2026-02-10", "2027-02-09", "2027-02-09"),  # never past the end
    ],
)
def test_an_opt_s_dates_are_the_ead_s_once_approved_and_end_early_at_the_latest(
    actual, ended_on, start, end, last_valid_day
):
    opt = OptFacts(
        1,
        OptKind.POST_COMPLETION,
        OptStatus.APPROVED,
        D("2026-01-01"),
        D("2026-12-31"),
        actual_start=actual[0] and D(actual[0]),
        actual_end=actual[1] and D(actual[1]),
        ended_on=ended_on and D(ended_on),
    )
    assert (opt.start, opt.end, opt.last_valid_day) == (D(start), D(end), D(last_valid_day))


def _program(program_id, status):
    return ProgramFacts(program_id, status, D("2024-09-01"), D("2026-05-31"))


@pytest.mark.parametrize(
    ("statuses", "shown"),
    [
        ((), None),
        ((ProgramStatus.ACTIVE,), 1),
        ((ProgramStatus.TRANSFERRED, ProgramStatus.ACTIVE), 2),
        ((ProgramStatus.ACTIVE, ProgramStatus.COMPLETED), 1),  # the newest active one, not the newest
        ((ProgramStatus.COMPLETED, ProgramStatus.TERMINATED), 2),  # none active: the newest
    ],
)
def test_the_record_a_student_sees_is_the_newest_active_one_else_the_newest(statuses, shown):
    facts = StudentFacts(1, programs=tuple(_program(index, status) for index, status in enumerate(statuses, 1)))
    current = facts.current_program
    assert (current.id if current is not None else None) == shown
