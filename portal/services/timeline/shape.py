"""The day-independent shape of a student's current program: validity windows, a pending STEM extension, jobs and
unemployed days, on inclusive date intervals. Both the day's timeline and the dated marks are read from it."""

from __future__ import annotations

from datetime import date, timedelta

from portal.models.enums import EmployerReview, OptKind, OptStatus, ProgramStatus
from portal.services.clock import END_OF_TIME, STEM_PENDING_EXTENSION_DAYS, days_between
from portal.services.timeline.facts import JobFacts, OptFacts, ProgramFacts, StudentFacts
from portal.services.timeline.limits import NEARING_LIMIT_REMAINING, POST_COMPLETION_ALLOWANCE, STEM_EXTRA_ALLOWANCE
from portal.services.timeline.view import StemExtension


class Shape:
    """The day-independent shape of a student's current program: validity windows, jobs and unemployed days."""

    def __init__(self, facts: StudentFacts, program: ProgramFacts | None) -> None:
        opts = program.opts if program is not None else ()
        # DESIGN rule 6: a denied STEM OPT leaves the student's view (its facts still shape a past extension).
        self.visible_opts = tuple(o for o in opts if not (o.kind is OptKind.STEM and o.status is OptStatus.DENIED))
        self.approved = [
            o
            for o in self.visible_opts
            if o.status is OptStatus.APPROVED and (o.ended_on is None or o.ended_on >= o.start)
        ]
        visible_ids = {o.id for o in self.visible_opts}
        self.jobs = tuple(
            sorted(
                (job for job in facts.jobs if job.opt_id in visible_ids),
                key=lambda job: (job.start_date, job.id),
                reverse=True,
            )
        )
        stem = [(o.start, o.last_valid_day) for o in self.approved if o.kind is OptKind.STEM]
        post = [(o.start, o.last_valid_day) for o in self.approved if o.kind is OptKind.POST_COMPLETION]
        self.extension = stem_extension(opts, program)
        self.extension_pending = self.extension is not None and any(
            o.id == self.extension.stem_opt_id and o.status is OptStatus.PENDING for o in opts
        )
        if self.extension is not None:
            post.append((self.extension.starts_on, self.extension.until))
        # DESIGN rule 6 hides a denied STEM request's employers, but the days worked under them while it was pending
        # (its extension) were employment: they stay out of the count of unemployed days.
        self.worked_under_denied_request = (
            [
                (max(job.start_date, self.extension.starts_on), min(job.end_date or END_OF_TIME, self.extension.until))
                for job in facts.jobs
                if job.opt_id == self.extension.stem_opt_id
                and job.opt_id not in visible_ids
                and job.review is not EmployerReview.RETURNED
            ]
            if self.extension is not None
            else []
        )
        self.stem_windows = merge_intervals(stem)
        self.post_windows = subtract_intervals(merge_intervals(post), self.stem_windows)
        self.counted_windows = merge_intervals(self.stem_windows + self.post_windows)
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
        stem_jobs = merge_intervals(
            (j.start_date, j.end_date or END_OF_TIME) for j in counting_jobs if j.review is EmployerReview.ACCEPTED
        )
        post_jobs = merge_intervals(
            [(j.start_date, j.end_date or END_OF_TIME) for j in counting_jobs] + self.worked_under_denied_request
        )
        return merge_intervals(
            subtract_intervals(self.stem_windows, stem_jobs) + subtract_intervals(self.post_windows, post_jobs)
        )

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
        return merge_intervals(periods)


def stem_extension(opts: tuple[OptFacts, ...], program: ProgramFacts | None) -> StemExtension | None:
    """DESIGN rule 5: a STEM request filed by the post-completion end extends authorization up to 180 days."""
    if program is None:
        return None
    post = [
        o for o in opts if o.kind is OptKind.POST_COMPLETION and o.status is OptStatus.APPROVED and o.ended_on is None
    ]
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


# --- Interval arithmetic on inclusive date ranges -------------------------------------------------


def merge_intervals(intervals) -> list[tuple[date, date]]:
    """Union of inclusive date intervals, sorted, overlapping or touching ones joined."""
    merged: list[tuple[date, date]] = []
    for start, end in sorted(interval for interval in intervals if interval[0] <= interval[1]):
        if merged and (merged[-1][1] == END_OF_TIME or start <= merged[-1][1] + timedelta(days=1)):
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract_intervals(intervals: list[tuple[date, date]], holes: list[tuple[date, date]]) -> list[tuple[date, date]]:
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


def days_up_to(intervals: list[tuple[date, date]], today: date) -> int:
    """How many days of the merged ``intervals`` fall on or before ``today``."""
    return sum(days_between(start, min(last, today)) for start, last in intervals if start <= today)
