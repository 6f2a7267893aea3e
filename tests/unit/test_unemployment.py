"""Unemployment days (DESIGN rule 16): a table of cases for the pure computation."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from portal.models.enums import OptKind, OptStatus
from portal.services.unemployment import number_in_words, unemployment_days

D0 = date(2026, 1, 1)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def opt(start, end, kind=OptKind.POST_COMPLETION, status=OptStatus.APPROVED):
    return SimpleNamespace(kind=kind, status=status, start_date=day(start), end_date=day(end))


def job(start, end=None):
    return SimpleNamespace(start_date=day(start), end_date=None if end is None else day(end))


POST = opt(0, 364)
STEM = opt(365, 365 + 729, OptKind.STEM)

CASES = [
    # (name, authorizations, jobs, today, used, allowed)
    ("no job yet: every day since the OPT start counts", [POST], [], 9, 10, 90),
    ("before the OPT starts nothing counts", [POST], [], -5, 0, 90),
    ("open-ended job from day one: nothing counts", [POST], [job(0)], 200, 0, 90),
    ("a gap between two jobs counts", [POST], [job(0, 29), job(40)], 100, 10, 90),
    ("overlapping jobs count once", [POST], [job(0, 50), job(20, 80)], 99, 19, 90),
    ("a job starting before the OPT covers only OPT days", [POST], [job(-100, 9)], 19, 10, 90),
    ("a job ending before the OPT covers nothing", [POST], [job(-100, -1)], 9, 10, 90),
    (
        "part-time work counts as employment",
        [POST],
        [SimpleNamespace(start_date=day(0), end_date=None, part_time=True)],
        30,
        0,
        90,
    ),
    ("a job starting in the future covers nothing yet", [POST], [job(50)], 9, 10, 90),
    ("days after the OPT ends do not count", [POST], [], 500, 365, 90),
    (
        "a pending STEM OPT does not raise the allowance",
        [POST, opt(365, 1094, OptKind.STEM, OptStatus.PENDING)],
        [],
        30,
        31,
        90,
    ),
    ("approved STEM: 150 in all, counted cumulatively", [POST, STEM], [job(0, 364 - 20)], 365 + 9, 30, 150),
    ("denied STEM adds nothing", [POST, opt(365, 1094, OptKind.STEM, OptStatus.DENIED)], [], 30, 31, 90),
    (
        "an OPT ended early stops counting",
        [
            SimpleNamespace(
                kind=OptKind.POST_COMPLETION,
                status=OptStatus.APPROVED,
                start_date=day(0),
                end_date=day(364),
                ended_on=day(19),
            )
        ],
        [],
        100,
        20,
        90,
    ),
    ("no approved OPT: nothing allowed or used", [opt(0, 364, status=OptStatus.PENDING)], [], 30, 0, 0),
]


@pytest.mark.parametrize(("name", "opts", "jobs", "today", "used", "allowed"), CASES, ids=[case[0] for case in CASES])
def test_unemployment_days_table(name, opts, jobs, today, used, allowed):
    result = unemployment_days(opts, jobs, today=day(today))
    assert (result.used, result.allowed) == (used, allowed)
    assert result.remaining == max(0, allowed - used)


@pytest.mark.parametrize(("used", "warning"), [(59, False), (60, True), (90, True)])
def test_warning_from_sixty_days(used, warning):
    result = unemployment_days([POST], [job(used)], today=day(200))
    assert result.used == used
    assert result.warning is warning


def test_remaining_never_negative_and_exhausted_flag():
    result = unemployment_days([POST], [], today=day(120))
    assert result.used == 121 and result.remaining == 0 and result.exhausted


@pytest.mark.parametrize(
    ("number", "words"),
    [(0, "zero"), (7, "seven"), (19, "nineteen"), (60, "sixty"), (61, "sixty-one"), (90, "ninety"),
     (150, "one hundred fifty"), (365, "three hundred sixty-five"), (1200, "one thousand two hundred")],
)  # fmt: skip
def test_number_in_words(number, words):
    assert number_in_words(number) == words
