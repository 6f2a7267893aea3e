"""Numbers and OPT states in words, as the dashboard shows them."""

from datetime import date

import pytest

from portal.models.enums import OptKind, OptStatus, ProgramStatus
from portal.services.timeline import OptFacts, ProgramFacts, StudentFacts, timeline_for
from portal.services.words import file_size, number_in_words, opt_state_in_words, phone_number


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (19, "nineteen"),
        (60, "sixty"),
        (61, "sixty-one"),
        (90, "ninety"),
        (150, "one hundred fifty"),
        (365, "three hundred sixty-five"),
        (1200, "one thousand two hundred"),
    ],
)
def test_number_in_words(number, words):
    assert number_in_words(number) == words


def _opt_on(today, *, status=OptStatus.APPROVED, ended_on=None, program_status=ProgramStatus.ACTIVE):
    opt = OptFacts(
        id=1,
        kind=OptKind.POST_COMPLETION,
        status=status,
        requested_start=date(2026, 1, 1),
        requested_end=date(2026, 12, 31),
        actual_start=date(2026, 2, 1),
        actual_end=date(2027, 1, 31),
        ended_on=ended_on,
    )
    program = ProgramFacts(
        id=1, status=program_status, start_date=date(2024, 1, 1), end_date=date(2025, 12, 1), opts=(opt,)
    )
    return timeline_for(StudentFacts(student_id=1, programs=(program,)), today).opts[0]


@pytest.mark.parametrize(
    ("today", "kwargs", "words"),
    [
        (date(2026, 1, 15), {"status": OptStatus.PENDING}, "Pending: waiting for a decision"),
        (date(2026, 1, 15), {}, "Approved; starts on February 1, 2026"),  # the EAD's start, not the requested one
        (date(2026, 6, 1), {}, "Approved; valid until January 31, 2027"),
        (date(2027, 2, 1), {}, "Ended on January 31, 2027"),
        (
            date(2026, 8, 1),
            {"ended_on": date(2026, 6, 30), "program_status": ProgramStatus.COMPLETED},
            "Ended early, on June 30, 2026",
        ),
        (date(2026, 1, 15), {"status": OptStatus.DENIED}, "Denied"),
    ],
)
def test_opt_state_in_words(today, kwargs, words):
    assert opt_state_in_words(_opt_on(today, **kwargs)) == words


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("6175550100", "(617) 555-0100"),
        ("+442079460958", "+442079460958"),
        (None, ""),
        ("", ""),
    ],
)
def test_a_phone_number_is_shown_as_people_write_it(stored, shown):
    assert phone_number(stored) == shown


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (300, "300 bytes"),
        (1023, "1,023 bytes"),
        (1024, "1 KB"),
        (14_900, "15 KB"),
        (1024 * 1024, "1.0 MB"),
        (2_500_000, "2.4 MB"),
    ],
)
def test_a_small_file_is_never_zero_kb(size, shown):
    assert file_size(size) == shown
