"""The timeline's shape: union and difference of inclusive date intervals, and when a STEM request extends
authorization (DESIGN rule 5: timely, up to 180 days, cut short by a decision)."""

from datetime import date

import pytest

from portal.models.enums import OptKind, OptStatus, ProgramStatus
from portal.services.clock import END_OF_TIME
from portal.services.timeline.facts import OptFacts, ProgramFacts
from portal.services.timeline.shape import merge_intervals, stem_extension, subtract_intervals

D = date.fromisoformat


def spans(*pairs):
    return [(D(start), D(end)) for start, end in pairs]


@pytest.mark.parametrize(
    ("intervals", "merged"),
    [
        ((), ()),
        ((("2026-01-01", "2026-01-10"),), (("2026-01-01", "2026-01-10"),)),
        (
            (("2026-01-05", "2026-01-10"), ("2026-01-01", "2026-01-03")),
            (("2026-01-01", "2026-01-03"), ("2026-01-05", "2026-01-10")),
        ),
        ((("2026-01-01", "2026-01-03"), ("2026-01-04", "2026-01-10")), (("2026-01-01", "2026-01-10"),)),  # touching
        ((("2026-01-01", "2026-01-20"), ("2026-01-05", "2026-01-10")), (("2026-01-01", "2026-01-20"),)),  # inside
        ((("2026-01-10", "2026-01-01"),), ()),  # backwards: no days
    ],
)
def test_merge_joins_overlapping_and_touching_intervals_in_order(intervals, merged):
    assert merge_intervals(spans(*intervals)) == spans(*merged)


def test_merge_keeps_an_open_ended_interval_open():
    assert merge_intervals([(D("2026-01-01"), END_OF_TIME), (D("2027-01-01"), D("2027-02-01"))]) == [
        (D("2026-01-01"), END_OF_TIME)
    ]


@pytest.mark.parametrize(
    ("holes", "left"),
    [
        ((), (("2026-01-01", "2026-01-31"),)),
        ((("2026-01-10", "2026-01-12"),), (("2026-01-01", "2026-01-09"), ("2026-01-13", "2026-01-31"))),
        ((("2025-12-01", "2026-01-05"),), (("2026-01-06", "2026-01-31"),)),
        ((("2026-01-25", "2026-03-01"),), (("2026-01-01", "2026-01-24"),)),
        ((("2025-12-01", "2026-03-01"),), ()),
        ((("2026-01-01", "2026-01-01"), ("2026-01-31", "2026-01-31")), (("2026-01-02", "2026-01-30"),)),
    ],
)
def test_subtract_leaves_the_days_not_in_any_hole(holes, left):
    assert subtract_intervals(spans(("2026-01-01", "2026-01-31")), spans(*holes)) == spans(*left)


POST = OptFacts(1, OptKind.POST_COMPLETION, OptStatus.APPROVED, D("2025-01-01"), D("2025-12-31"))


@pytest.mark.parametrize(
    ("status", "filed", "decided", "until"),
    [
        (OptStatus.PENDING, "2025-11-01", None, "2026-06-29"),  # timely and pending: 180 days
        (OptStatus.PENDING, "2026-01-02", None, None),  # filed after the OPT ended: no extension
        (OptStatus.APPROVED, "2025-11-01", "2026-01-20", "2026-02-28"),  # until the day before the STEM OPT starts
        (OptStatus.DENIED, "2025-11-01", "2026-02-10", "2026-02-09"),  # until the day before the denial
        (OptStatus.DENIED, "2025-11-01", None, None),  # a denial without its date: none
    ],
)
def test_a_timely_stem_request_extends_authorization_until_it_is_decided(status, filed, decided, until):
    stem = OptFacts(
        2,
        OptKind.STEM,
        status,
        D("2026-03-01"),
        D("2028-02-29"),
        requested_on=D(filed),
        decided_on=decided and D(decided),
    )
    program = ProgramFacts(1, ProgramStatus.ACTIVE, D("2023-09-01"), D("2024-12-15"), opts=(POST, stem))
    extension = stem_extension(program.opts, program)
    assert (extension.until if extension else None) == (until and D(until))
    if extension:
        assert extension.starts_on == D("2026-01-01") and extension.stem_opt_id == 2
