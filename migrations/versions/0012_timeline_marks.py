"""timeline_marks: each student's dated timeline marks (unemployed periods, access closing, STEM reminders), derived
from the records on every change, so DSO lists and the daily notices index them instead of counting again

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

"""

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "timeline_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("detail", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name="fk_timeline_marks_school_id_schools"),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], name="fk_timeline_marks_student_id_students"),
        sa.PrimaryKeyConstraint("id", name="pk_timeline_marks"),
    )
    op.create_index("ix_timeline_marks_student_id", "timeline_marks", ["student_id"])
    op.create_index("ix_timeline_marks_school_kind_period", "timeline_marks", ["school_id", "kind", "starts_on", "ends_on"])
    op.create_index("ix_timeline_marks_kind_day", "timeline_marks", ["kind", "starts_on"])
    refresh_all_marks(op.get_bind())


def downgrade():
    op.drop_table("timeline_marks")


# --- The marks of the students already here ----------------------------------------------------------------------
# Spelled out here, as portal/services/timeline.py, timelines.py and clock.py computed them when this migration was
# written (not imported from them), so that the migration keeps meaning what it meant. Only what the marks need:
# the timeline's views, states and the words people read are left out.

CHUNK = 1000
EASTERN = ZoneInfo("America/New_York")
END_OF_TIME = date(9999, 12, 31)
READ_ONLY_MONTHS = 6  # DESIGN rule 5
STEM_PENDING_EXTENSION_DAYS = 180  # DESIGN rule 5
STEM_CONFIRMATION_MONTHS = (6, 12, 18, 24)  # DESIGN rule 15
POST_COMPLETION_ALLOWANCE = 90  # DESIGN rule 16
STEM_EXTRA_ALLOWANCE = 60
NEARING_LIMIT_REMAINING = 30
EMAIL_THRESHOLDS = (60, 80)
DUTY_DUE_DAYS = 10
DUTY_REMINDER_DAYS = 30
ACCESS_ENDING_DAYS = 30

_students = sa.table("students", sa.column("id", sa.Integer), sa.column("school_id", sa.Integer))
_programs = sa.table(
    "program_records", sa.column("id", sa.Integer), sa.column("student_id", sa.Integer),
    sa.column("status", sa.String), sa.column("start_date", sa.Date), sa.column("end_date", sa.Date),
    sa.column("completed_on", sa.Date), sa.column("created_at", sa.DateTime),
)
_opts = sa.table(
    "opt_authorizations", sa.column("id", sa.Integer), sa.column("program_record_id", sa.Integer),
    sa.column("kind", sa.String), sa.column("status", sa.String), sa.column("start_date", sa.Date),
    sa.column("end_date", sa.Date), sa.column("actual_start_date", sa.Date), sa.column("actual_end_date", sa.Date),
    sa.column("ended_on", sa.Date), sa.column("created_at", sa.DateTime), sa.column("decided_at", sa.DateTime),
)
_jobs = sa.table(
    "employers", sa.column("id", sa.Integer), sa.column("student_id", sa.Integer),
    sa.column("opt_authorization_id", sa.Integer), sa.column("start_date", sa.Date), sa.column("end_date", sa.Date),
    sa.column("review_status", sa.String), sa.column("deleted_at", sa.DateTime),
)
_marks = sa.table(
    "timeline_marks", sa.column("student_id", sa.Integer), sa.column("school_id", sa.Integer),
    sa.column("kind", sa.String), sa.column("starts_on", sa.Date), sa.column("ends_on", sa.Date),
    sa.column("detail", sa.String),
)
_PROGRAMS_AND_OPTS = (
    sa.select(_programs.c.student_id, _programs.c.id, _programs.c.status, _programs.c.start_date,
              _programs.c.end_date, _programs.c.completed_on, _opts.c.id.label("opt_id"), _opts.c.kind,
              _opts.c.status.label("opt_status"), _opts.c.start_date.label("opt_start"),
              _opts.c.end_date.label("opt_end"), _opts.c.actual_start_date, _opts.c.actual_end_date,
              _opts.c.ended_on, _opts.c.created_at, _opts.c.decided_at)
    .outerjoin(_opts, _opts.c.program_record_id == _programs.c.id)
    .order_by(_programs.c.student_id, _programs.c.created_at, _programs.c.id, _opts.c.start_date, _opts.c.id)
)
_LIVE_JOBS = (
    sa.select(_jobs.c.student_id, _jobs.c.id, _jobs.c.opt_authorization_id, _jobs.c.start_date, _jobs.c.end_date,
              _jobs.c.review_status)
    .where(_jobs.c.deleted_at.is_(None))
    .order_by(_jobs.c.student_id, _jobs.c.start_date, _jobs.c.id)
)


def refresh_all_marks(connection) -> int:
    """Write every student's marks, a thousand students at a time; returns how many were written."""
    written, last_id = 0, 0
    while True:
        schools = dict(connection.execute(
            sa.select(_students.c.id, _students.c.school_id).where(_students.c.id > last_id)
            .order_by(_students.c.id).limit(CHUNK)).all())
        if not schools:
            return written
        rows = [
            {"student_id": student_id, "school_id": schools[student_id], "kind": kind, "starts_on": starts_on,
             "ends_on": ends_on, "detail": detail}
            for student_id, facts in _load_facts(connection, list(schools)).items()
            for kind, starts_on, ends_on, detail in _marks_for(facts)
        ]
        if rows:
            connection.execute(sa.insert(_marks), rows)
        written += len(rows)
        last_id = max(schools)


@dataclass(frozen=True)
class _Opt:
    id: int
    kind: str
    status: str
    requested_start: date
    requested_end: date
    actual_start: date | None
    actual_end: date | None
    ended_on: date | None
    requested_on: date | None
    decided_on: date | None

    @property
    def start(self) -> date:
        return self.actual_start or self.requested_start

    @property
    def end(self) -> date:
        return self.actual_end or self.requested_end

    @property
    def last_valid_day(self) -> date:
        return min(self.end, self.ended_on) if self.ended_on is not None else self.end


@dataclass(frozen=True)
class _Program:
    id: int
    status: str
    completed_on: date | None
    opts: tuple[_Opt, ...]


@dataclass(frozen=True)
class _Job:
    id: int
    opt_id: int | None
    start_date: date
    end_date: date | None
    review: str


@dataclass(frozen=True)
class _Facts:
    programs: tuple[_Program, ...]
    jobs: tuple[_Job, ...]

    @property
    def current_program(self) -> _Program | None:
        """The newest active program record, else the newest (DESIGN rule 4)."""
        active = [program for program in self.programs if program.status == "active"]
        return (active or list(self.programs) or [None])[-1]


def _eastern_date(moment: datetime | None) -> date | None:
    """The US Eastern date of a stored UTC timestamp."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(EASTERN).date()


def _load_facts(connection, ids: list[int]) -> dict[int, _Facts]:
    programs: dict[int, dict[int, tuple]] = defaultdict(dict)
    opts: dict[int, list[_Opt]] = defaultdict(list)
    for row in connection.execute(_PROGRAMS_AND_OPTS.where(_programs.c.student_id.in_(ids))):
        programs[row.student_id].setdefault(row.id, row)
        if row.opt_id is not None:
            opts[row.id].append(_Opt(
                id=row.opt_id, kind=row.kind, status=row.opt_status, requested_start=row.opt_start,
                requested_end=row.opt_end, actual_start=row.actual_start_date, actual_end=row.actual_end_date,
                ended_on=row.ended_on, requested_on=_eastern_date(row.created_at),
                decided_on=_eastern_date(row.decided_at),
            ))
    jobs: dict[int, list[_Job]] = defaultdict(list)
    for row in connection.execute(_LIVE_JOBS.where(_jobs.c.student_id.in_(ids))):
        jobs[row.student_id].append(_Job(id=row.id, opt_id=row.opt_authorization_id, start_date=row.start_date,
                                         end_date=row.end_date, review=row.review_status))
    return {
        student_id: _Facts(
            programs=tuple(_Program(id=row.id, status=row.status, completed_on=row.completed_on,
                                    opts=tuple(opts[row.id])) for row in programs[student_id].values()),
            jobs=tuple(jobs[student_id]),
        )
        for student_id in ids
    }


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _days_between(first: date, last: date) -> int:
    return max(0, (last - first).days + 1)


class _Shape:
    """The day-independent shape of the current program: validity windows and unemployed days."""

    def __init__(self, facts: _Facts, program: _Program | None) -> None:
        opts = program.opts if program is not None else ()
        # DESIGN rule 6: a denied STEM OPT leaves the student's view.
        visible_opts = tuple(o for o in opts if not (o.kind == "stem" and o.status == "denied"))
        approved = [o for o in visible_opts if o.status == "approved" and (o.ended_on is None or o.ended_on >= o.start)]
        visible_ids = {o.id for o in visible_opts}
        self.jobs = tuple(sorted((job for job in facts.jobs if job.opt_id in visible_ids),
                                 key=lambda job: (job.start_date, job.id), reverse=True))
        stem = [(o.start, o.last_valid_day) for o in approved if o.kind == "stem"]
        post = [(o.start, o.last_valid_day) for o in approved if o.kind == "post_completion"]
        self.extension = _extension(opts, program)
        if self.extension is not None:
            post.append(self.extension)
        self.stem_windows = _merge(stem)
        self.post_windows = _subtract(_merge(post), self.stem_windows)
        self.counted_windows = _merge(self.stem_windows + self.post_windows)
        self.stem_starts_on = self.stem_windows[0][0] if self.stem_windows else None
        any_post = any(o.kind == "post_completion" for o in approved)
        self.base_allowance = POST_COMPLETION_ALLOWANCE if (any_post or self.stem_windows) else 0
        starts = [o.start for o in approved]
        self.account_due_on = min(starts) if starts else None
        counting_jobs = [job for job in self.jobs if job.review != "returned"]
        stem_jobs = _merge((j.start_date, j.end_date or END_OF_TIME) for j in counting_jobs if j.review == "accepted")
        post_jobs = _merge((j.start_date, j.end_date or END_OF_TIME) for j in counting_jobs)
        self.unemployed = _merge(_subtract(self.stem_windows, stem_jobs) + _subtract(self.post_windows, post_jobs))

    def allowed_on(self, day: date) -> int:
        """90 days, and 60 more once the STEM OPT has started."""
        extra = STEM_EXTRA_ALLOWANCE if self.stem_starts_on is not None and self.stem_starts_on <= day else 0
        return self.base_allowance + extra

    def first_day_used_reaches(self, count: int) -> date | None:
        if count <= 0:
            return self.counted_windows[0][0] if self.counted_windows else None
        total = 0
        for start, last in self.unemployed:
            length = _days_between(start, last)
            if total + length >= count:
                return start + timedelta(days=count - total - 1)
            total += length
        return None

    def nearing_limit_periods(self) -> list[tuple[date, date]]:
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
        return _merge(periods)


def _extension(opts: tuple[_Opt, ...], program: _Program | None) -> tuple[date, date] | None:
    """DESIGN rule 5: a STEM request filed by the post-completion end extends authorization up to 180 days."""
    if program is None:
        return None
    post = [o for o in opts if o.kind == "post_completion" and o.status == "approved" and o.ended_on is None]
    stem = [o for o in opts if o.kind == "stem"]
    if not post or not stem:
        return None
    post_end = max(o.end for o in post)
    request = stem[-1]
    if request.requested_on is not None and request.requested_on > post_end:
        return None
    until = post_end + timedelta(days=STEM_PENDING_EXTENSION_DAYS)
    if request.status == "approved":
        until = min(until, request.start - timedelta(days=1))
    elif request.status == "denied":
        if request.decided_on is None:
            return None
        until = min(until, request.decided_on - timedelta(days=1))
    if request.ended_on is not None:
        until = min(until, request.ended_on)
    if program.status != "active" and program.completed_on is not None:
        until = min(until, program.completed_on)
    if until <= post_end:
        return None
    return post_end + timedelta(days=1), until


def _marks_for(facts: _Facts) -> list[tuple[str, date, date, str]]:
    """The student's marks as (kind, starts_on, ends_on, detail); they depend on the facts only, never on today."""
    program = facts.current_program
    shape = _Shape(facts, program)
    marks = [("unemployed", start, last, "") for start, last in shape.unemployed]
    marks += [("nearing_limit", start, last, "") for start, last in shape.nearing_limit_periods()]
    thresholds = {count: str(count) for count in EMAIL_THRESHOLDS}
    if shape.base_allowance:
        thresholds[shape.base_allowance] = str(shape.base_allowance)
        if shape.stem_starts_on is not None:
            thresholds[shape.base_allowance + STEM_EXTRA_ALLOWANCE] = str(shape.base_allowance + STEM_EXTRA_ALLOWANCE)
        for count, detail in sorted(thresholds.items()):
            day = shape.first_day_used_reaches(count)
            if day is not None and count <= shape.allowed_on(day):
                marks.append(("unemployment_reached", day, day, detail))
    if shape.account_due_on is not None:
        marks.append(("account_due", shape.account_due_on, shape.account_due_on, ""))
    marks += _end_marks(shape, program)
    marks += [("duty_reminder", opens_on, opens_on, detail) for opens_on, detail in _open_duty_reminders(facts)]
    return marks


def _end_marks(shape: _Shape, program: _Program | None) -> list[tuple[str, date, date, str]]:
    """Access ending and closed (DESIGN rule 5: read-only until six months after the OPT end), and the OPT's end."""
    if program is None or program.status == "terminated":
        return []
    approved_ends = [o.end for o in program.opts if o.status == "approved"]
    if not approved_ends or (shape.extension is not None and program.status == "active"):
        return []  # no end yet, or a pending STEM extension keeps access open
    opt_end = max(approved_ends)
    read_only_until = _add_months(opt_end, READ_ONLY_MONTHS)
    closes_on = read_only_until + timedelta(days=1)
    ending = closes_on - timedelta(days=ACCESS_ENDING_DAYS)
    marks = [("access_ending", ending, ending, read_only_until.isoformat()),
             ("access_closed", closes_on, closes_on, read_only_until.isoformat())]
    if shape.extension is None and program.status == "active":
        day = opt_end + timedelta(days=1)
        marks.append(("opt_ended", day, day, opt_end.isoformat()))
    return marks


def _open_duty_reminders(facts: _Facts) -> list[tuple[date, str]]:
    """DESIGN rule 15: a reminder 30 days before each STEM confirmation and evaluation that still stands."""
    reminders = []
    programs = list(facts.programs)
    current = facts.current_program
    for index, program in enumerate(programs):
        later_program = index < len(programs) - 1 and program is not current
        for opt in program.opts:
            if opt.kind != "stem" or opt.status == "pending" or _duties_closed(opt, program, later_program):
                continue
            start, end = opt.start, opt.end
            duties = [("stem_confirmation", months, _add_months(start, months)) for months in STEM_CONFIRMATION_MONTHS
                      if _add_months(start, months) <= end + timedelta(days=1)]
            duties.append(("i983_evaluation", 12, _add_months(start, 12)))
            duties.append(("i983_final_evaluation", None, end))
            duties.sort(key=lambda duty: (duty[2] + timedelta(days=DUTY_DUE_DAYS), duty[0]))
            reminders += [(mark - timedelta(days=DUTY_REMINDER_DAYS), f"{kind}:{months or ''}")
                          for kind, months, mark in duties]
    return reminders


def _duties_closed(opt: _Opt, program: _Program, later_program: bool) -> bool:
    """Denied, transferred, changed education level, terminated, or ended early: no duty stands."""
    return (opt.status == "denied" or program.status in ("transferred", "terminated")
            or (later_program and program.status == "completed")
            or (opt.ended_on is not None and opt.ended_on < opt.end))


def _merge(intervals) -> list[tuple[date, date]]:
    """Union of inclusive date intervals, sorted, overlapping or touching ones joined."""
    merged: list[tuple[date, date]] = []
    for start, end in sorted(interval for interval in intervals if interval[0] <= interval[1]):
        if merged and (merged[-1][1] == END_OF_TIME or start <= merged[-1][1] + timedelta(days=1)):
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _subtract(intervals: list[tuple[date, date]], holes: list[tuple[date, date]]) -> list[tuple[date, date]]:
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
