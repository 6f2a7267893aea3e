"""Unemployment days on OPT (DESIGN rule 16): a pure computation from authorizations and jobs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from portal.models.enums import OptKind, OptStatus

POST_COMPLETION_ALLOWANCE = 90
STEM_EXTRA_ALLOWANCE = 60
WARNING_FROM = 60


@dataclass(frozen=True)
class UnemploymentDays:
    used: int
    allowed: int
    remaining: int

    @property
    def warning(self) -> bool:
        """Warn from 60 days used on (the dashboard shows it)."""
        return self.allowed > 0 and self.used >= WARNING_FROM

    @property
    def exhausted(self) -> bool:
        return self.allowed > 0 and self.used >= self.allowed

    @property
    def percent_used(self) -> int:
        return min(100, round(100 * self.used / self.allowed)) if self.allowed else 0


def _merge(intervals: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Union of inclusive date intervals, sorted, overlapping or touching ones joined."""
    merged: list[tuple[date, date]] = []
    for start, end in sorted(interval for interval in intervals if interval[0] <= interval[1]):
        if merged and start <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _length(intervals: list[tuple[date, date]]) -> int:
    return sum((end - start).days + 1 for start, end in intervals)


def _overlap(first: list[tuple[date, date]], second: list[tuple[date, date]]) -> int:
    days = 0
    for a_start, a_end in first:
        for b_start, b_end in second:
            start, end = max(a_start, b_start), min(a_end, b_end)
            if start <= end:
                days += (end - start).days + 1
    return days


def unemployment_days(authorizations: Iterable, employment: Iterable, *, today: date) -> UnemploymentDays:
    """Days without a reported job inside approved OPT up to today, against 90 (150 once STEM is approved).

    ``authorizations`` have kind, status, start_date, end_date; ``employment`` has start_date and
    end_date (None while the job goes on). Part-time jobs count as employment: SEVIS's part-time
    indicator for OPT still means at least 20 hours a week. Days of a job before the OPT starts do not
    count either way. STEM days are cumulative with the post-completion days (one allowance of 150).
    """
    approved = [a for a in authorizations if a.status == OptStatus.APPROVED]
    allowed = 0
    if any(a.kind == OptKind.POST_COMPLETION for a in approved):
        allowed += POST_COMPLETION_ALLOWANCE
    if any(a.kind == OptKind.STEM for a in approved):
        allowed += STEM_EXTRA_ALLOWANCE if allowed else POST_COMPLETION_ALLOWANCE + STEM_EXTRA_ALLOWANCE
    # An OPT ended early (transfer, early completion) stops counting on the day it ended.
    windows = _merge(
        (a.start_date, min(getattr(a, "ended_on", None) or a.end_date, a.end_date, today)) for a in approved
    )
    jobs = _merge((job.start_date, min(job.end_date or today, today)) for job in employment)
    used = _length(windows) - _overlap(windows, jobs)
    return UnemploymentDays(used=used, allowed=allowed, remaining=max(0, allowed - used))


_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()  # fmt: skip
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_in_words(number: int) -> str:
    """0 to 9999 in English words ("one hundred fifty"), for the meter's text alternative."""
    if number < 0:
        return "minus " + number_in_words(-number)
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_in_words(rest)}" if rest else "")
    thousands, rest = divmod(number, 1000)
    return f"{number_in_words(thousands)} thousand" + (f" {number_in_words(rest)}" if rest else "")
