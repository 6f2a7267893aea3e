"""The school's students list: search, filters, sorting, pages and alerts, in a constant number of statements."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache

from sqlalchemy import Boolean, Date, Integer, and_, bindparam, case, cast, exists, func, or_, select, union
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from portal.models import (
    Employer,
    Event,
    OptAuthorization,
    ProgramRecord,
    ReportingObligation,
    Student,
    TimelineMark,
    User,
    utcnow,
)  # fmt: skip
from portal.models.base import UTCDateTime
from portal.models.enums import EmployerReview, OptKind, OptStatus
from portal.models.student import student_full_name
from portal.services.clock import start_of_day_utc, today_eastern
from portal.services.exports import csv_chunks, xlsx_chunks
from portal.services.exports_postgresql import csv_copy_chunks, xlsx_copy_chunks
from portal.services.timeline import NEARING_LIMIT_REMAINING, MarkKind

PAGE_SIZES = (10, 25, 50, 100, 250, 500, 1000)  # as SEVIS lists offer
SORTS = {
    "name": (Student.surname, Student.given_name, Student.id),
    "sevis_id": (Student.sevis_id,),
    "email": (Student.email, Student.id),
    "changed": (Student.updated_at, Student.id),
}
ACCOUNT_FILTERS = ("created", "pending", "locked")
MAX_QUERY = 200
_SEVIS_ID = re.compile(r"N\d{10}", re.IGNORECASE)


@dataclass
class StudentQuery:
    """What the DSO asked for: all fields optional, validated by ``parse``."""

    q: str = ""
    opt_kind: OptKind | None = None
    opt_status: OptStatus | None = None
    account: str | None = None
    no_employer: bool = False
    nearing_limit: bool = False
    changed_since: date | None = None
    reported_late: bool = False
    overdue: bool = False
    stem_review: bool = False
    sort: str = "name"
    descending: bool = False
    page: int = 1
    per_page: int = 25
    errors: dict = field(default_factory=dict)

    def as_args(self, **overrides) -> dict:
        """The query as URL arguments (for links to other pages, sorts and exports)."""
        values = {
            "q": self.q or None,
            "opt_kind": self.opt_kind.value if self.opt_kind else None,
            "opt_status": self.opt_status.value if self.opt_status else None,
            "account": self.account,
            "no_employer": "1" if self.no_employer else None,
            "nearing_limit": "1" if self.nearing_limit else None,
            "changed_since": self.changed_since.isoformat() if self.changed_since else None,
            "reported_late": "1" if self.reported_late else None,
            "overdue": "1" if self.overdue else None,
            "stem_review": "1" if self.stem_review else None,
            "sort": self.sort if self.sort != "name" else None,
            "dir": "desc" if self.descending else None,
            "per_page": self.per_page if self.per_page != 25 else None,
            "page": self.page if self.page != 1 else None,
        }
        values.update(overrides)
        return {key: value for key, value in values.items() if value is not None}


def _enum_or_error(enum_class, raw: str | None, name: str, errors: dict):
    if not raw:
        return None
    try:
        return enum_class(raw)
    except ValueError:
        errors[name] = "Choose one of the listed values."
        return None


def parse(args) -> StudentQuery:
    """Read a StudentQuery from request arguments; bad values become messages in ``errors``, never an exception."""
    errors: dict = {}
    q = (args.get("q") or "").strip()
    if len(q) > MAX_QUERY or any(ord(ch) < 32 for ch in q):
        errors["q"] = f"Search for a name, SEVIS ID, email or employer (at most {MAX_QUERY} characters)."
        q = ""
    query = StudentQuery(q=q, errors=errors)
    query.opt_kind = _enum_or_error(OptKind, args.get("opt_kind"), "opt_kind", errors)
    query.opt_status = _enum_or_error(OptStatus, args.get("opt_status"), "opt_status", errors)
    account = args.get("account") or None
    if account is not None and account not in ACCOUNT_FILTERS:
        errors["account"] = "Choose one of the listed values."
        account = None
    query.account = account
    for flag in ("no_employer", "nearing_limit", "reported_late", "overdue", "stem_review"):
        setattr(query, flag, args.get(flag) in ("1", "on", "true", "y"))
    raw_since = (args.get("changed_since") or "").strip()
    if raw_since:
        try:
            query.changed_since = date.fromisoformat(raw_since)
        except ValueError:
            errors["changed_since"] = "Enter a date like 2026-03-31."
    sort = args.get("sort") or "name"
    query.sort = sort if sort in SORTS else "name"
    query.descending = args.get("dir") == "desc"
    try:
        per_page = int(args.get("per_page") or 25)
    except ValueError:
        per_page = 25
    query.per_page = per_page if per_page in PAGE_SIZES else 25
    try:
        query.page = max(1, min(int(args.get("page") or 1), 1_000_000))
    except ValueError:
        query.page = 1
    return query


# --- Conditions on one student ------------------------------------------------------------------


def marked(kind: MarkKind, day, school_id) -> list:
    """The conditions on timeline_marks for a mark of ``kind`` covering ``day`` at the school (its index's columns).

    The marks are the timeline's own periods (portal.services.timelines keeps them current on every flush), so a
    list, an alert and an export ask the timeline, never count again (DESIGN rules 16 and 17).
    """
    return [TimelineMark.school_id == school_id, TimelineMark.kind == str(kind), TimelineMark.starts_on <= day,
            TimelineMark.ends_on >= day]  # fmt: skip


def on_the_timeline(kind: MarkKind, day, school_id):
    """The school's students with a timeline mark of ``kind`` covering ``day``."""
    return Student.id.in_(select(TimelineMark.student_id).where(*marked(kind, day, school_id)))


def _marked_employer_id():
    """A current_employer mark's employer id (its ``detail``); the CASE keeps the cast off other kinds' details."""
    return case((TimelineMark.kind == str(MarkKind.CURRENT_EMPLOYER), cast(TimelineMark.detail, Integer)))


def reporting_overdue(today: date):
    return exists().where(ReportingObligation.student_id == Student.id, ReportingObligation.open_condition(),
                          ReportingObligation.due_on < today)  # fmt: skip


def locked_account(now: datetime):
    return exists().where(User.student_id == Student.id, User.locked_until > now)


def stem_employer_waiting():
    return exists().where(Employer.student_id == Student.id, Employer.deleted_at.is_(None),
                          Employer.review_status == EmployerReview.WAITING)  # fmt: skip


def like_escape(text: str) -> str:
    """Escape LIKE wildcards so a search for "50%" means the characters, not a pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def full_name_expression():
    """lower(given name || ' ' || surname): the one expression a name search matches (and PostgreSQL indexes)."""
    return student_full_name()


def _text_matches(school_id: int, q: str):
    """The ids of the school's students whose name, email, SEVIS ID start or an employer's name contains ``q``.

    A UNION of one SELECT per place, so each can use its own index (trigram GIN on PostgreSQL) instead of one
    scan of every student testing four columns. The full name contains the surname and the given name, so it
    matches whatever either of them matches.
    """
    pattern = "%" + like_escape(q.lower()) + "%"
    parts = [
        select(Student.id).where(Student.school_id == school_id, full_name_expression().like(pattern, escape="\\")),
        select(Student.id).where(Student.school_id == school_id, Student.email.like(pattern, escape="\\")),
        select(Employer.student_id).where(func.lower(Employer.name).like(pattern, escape="\\")),
    ]
    if re.fullmatch(r"[Nn]\d{1,10}", q):
        parts.append(select(Student.id).where(Student.sevis_id.like(q.upper() + "%")))
    return union(*parts)


class _id_among(FunctionElement):
    """``id IN (SELECT ...)``; on PostgreSQL ``id = ANY(ARRAY(SELECT ...))``, which looks each match up by its key
    where IN would hash-join the matches with every student of the school."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a condition already: no "= 1" on SQLite


@compiles(_id_among)
def _compile_id_among(element, compiler, **kw):
    column, ids = element.clauses
    return f"{compiler.process(column, **kw)} IN {compiler.process(ids, **kw)}"


@compiles(_id_among, "postgresql")
def _compile_id_among_postgresql(element, compiler, **kw):
    column, ids = element.clauses
    return f"{compiler.process(column, **kw)} = ANY(ARRAY{compiler.process(ids, **kw)})"


def _conditions(school_id: int, query: StudentQuery, today: date, now: datetime) -> list:
    conditions = [Student.school_id == school_id]
    q = query.q
    if q:
        if _SEVIS_ID.fullmatch(q):
            conditions.append(Student.sevis_id == q.upper())
        else:
            # A CTE: the page and its total (two subqueries of one statement) read the matches once.
            matches = select(_text_matches(school_id, q).cte("text_matches").c.id).scalar_subquery()
            conditions.append(_id_among(Student.id, matches))
    if query.opt_kind or query.opt_status:
        opt = select(OptAuthorization.id).join(ProgramRecord).where(ProgramRecord.student_id == Student.id)
        if query.opt_kind:
            opt = opt.where(OptAuthorization.kind == query.opt_kind)
        if query.opt_status:
            opt = opt.where(OptAuthorization.status == query.opt_status)
        conditions.append(exists(opt))
    if query.account == "created":
        conditions.append(exists().where(User.student_id == Student.id, User.password_hash.is_not(None)))
    elif query.account == "pending":
        conditions.append(~exists().where(User.student_id == Student.id, User.password_hash.is_not(None)))
    elif query.account == "locked":
        conditions.append(locked_account(now))
    if query.no_employer:
        conditions.append(on_the_timeline(MarkKind.UNEMPLOYED, today, school_id))
    if query.nearing_limit:
        conditions.append(on_the_timeline(MarkKind.NEARING_LIMIT, today, school_id))
    if query.changed_since:
        conditions.append(exists().where(Event.student_id == Student.id, Event.change_kind.is_not(None),
                                         Event.occurred_at >= start_of_day_utc(query.changed_since)))  # fmt: skip
    if query.reported_late:
        conditions.append(or_(
            exists().where(Event.student_id == Student.id, Event.reported_late.is_(True)),
            exists().where(Employer.student_id == Student.id, Employer.reported_late.is_(True)),
        ))  # fmt: skip
    if query.overdue:
        conditions.append(reporting_overdue(today))
    if query.stem_review:
        conditions.append(stem_employer_waiting())
    return conditions


def _ordering(query: StudentQuery, source=None):
    """The ORDER BY of the list, on the students table or on a subquery with its column names."""
    columns = [source.c[column.key] if source is not None else column for column in SORTS[query.sort]]
    return [column.desc() if query.descending else column.asc() for column in columns]


# An alias: the conditions' own EXISTS on users must not correlate to the list's join with the account.
_ACCOUNT = User.__table__.alias("account")


def _with_account(source, query: StudentQuery):
    """The columns a list row shows from ``source`` (students, or a page of them) with the account's state, in order."""
    return (
        select(source.c.id, source.c.sevis_id, source.c.surname, source.c.given_name, source.c.email,
               _ACCOUNT.c.id.is_not(None).label("has_user"), _ACCOUNT.c.locked_until,
               _ACCOUNT.c.password_hash.is_not(None).label("has_password"))
        .outerjoin(_ACCOUNT, _ACCOUNT.c.student_id == source.c.id)
        .order_by(*_ordering(query, source))
    )  # fmt: skip


EXPORT_HEADER = ["SEVIS ID", "Surname", "Given name", "Email", "OPT type", "OPT status", "OPT start", "OPT end",
                 "Portal account", "Current employer", "Approved OPT without current employer",
                 "Unemployment nearing the limit"]  # fmt: skip
YES, NO = "Yes", "No"


def _marked_today(kind: MarkKind, school_id: int, today: date, name: str):
    """The school's students with a mark of ``kind`` covering ``today``: one row each (a kind's periods never overlap)."""
    return select(TimelineMark.student_id).where(*marked(kind, today, school_id)).subquery(name)


def export_rows_query(school_id: int, query: StudentQuery, *, today: date | None = None, as_text: bool = False):
    """The export: the same students in the same order, a row each of what the list shows (the OPT ``latest_opt_rows``
    gives, ``account_label_from``, the timeline's current employer) and the timeline's two alerts, in one statement.

    The current employer and the alerts are the timeline's marks covering ``today``. Unemployment days used are not
    here: they depend on the day and are the timeline's to count (Student Information shows them).
    ``as_text`` (PostgreSQL's COPY writes the cells): dates as ISO text and the sort keys as key0, key1 ...
    """
    today = today or today_eastern()
    now = utcnow()
    # Each student's first row by these orders, ranked for the whole school at once (not a subquery per student).
    opts = _first_per_student(
        select(ProgramRecord.student_id, OptAuthorization.kind, OptAuthorization.status, OptAuthorization.start_date,
               OptAuthorization.end_date)
        .join(OptAuthorization, OptAuthorization.program_record_id == ProgramRecord.id),
        ProgramRecord.student_id, school_id,
        (ProgramRecord.created_at.desc(), ProgramRecord.id.desc(), OptAuthorization.start_date.desc(),
         OptAuthorization.id.desc()))  # fmt: skip
    employers = (select(TimelineMark.student_id, Employer.name)
                 .join(Employer, Employer.id == _marked_employer_id())
                 .where(*marked(MarkKind.CURRENT_EMPLOYER, today, school_id)).subquery("current_employers"))  # fmt: skip
    unemployed = _marked_today(MarkKind.UNEMPLOYED, school_id, today, "unemployed")
    nearing = _marked_today(MarkKind.NEARING_LIMIT, school_id, today, "nearing_limit")
    account = case((_ACCOUNT.c.id.is_(None), "Not created"), (_ACCOUNT.c.locked_until > now, "Locked"),
                   (_ACCOUNT.c.password_hash.is_(None), "Invitation sent"), else_="Active")  # account_label()'s answers
    start, end = opts.c.start_date, opts.c.end_date
    keys = []
    if as_text:
        start, end = func.to_char(start, "YYYY-MM-DD"), func.to_char(end, "YYYY-MM-DD")
        keys = [column.label(f"key{index}") for index, column in enumerate(SORTS[query.sort])]
    return (
        select(Student.sevis_id, Student.surname, Student.given_name, Student.email, opts.c.kind, opts.c.status,
               start.label("opt_start"), end.label("opt_end"), account.label("account"),
               employers.c.name.label("employer"),
               case((unemployed.c.student_id.is_(None), NO), else_=YES).label("unemployed"),
               case((nearing.c.student_id.is_(None), NO), else_=YES).label("nearing_limit"), *keys)
        .outerjoin(_ACCOUNT, _ACCOUNT.c.student_id == Student.id)
        .outerjoin(opts, and_(opts.c.student_id == Student.id, opts.c.rank == 1))
        .outerjoin(employers, employers.c.student_id == Student.id)
        .outerjoin(unemployed, unemployed.c.student_id == Student.id)
        .outerjoin(nearing, nearing.c.student_id == Student.id)
        .where(*_conditions(school_id, query, today, now))
        .order_by(*_ordering(query))
    )  # fmt: skip


def _any_of(session: Session, column, ids: list[int]):
    """``column IN ids``: one array parameter on PostgreSQL (thousands of ids compile and send cheaply)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import Integer, any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def _first_per_student(statement, student_id, school_id: int, order):
    """``statement`` for the school's students with a ``rank`` column: 1 on each student's first row by ``order``."""
    rank = func.row_number().over(partition_by=student_id, order_by=order).label("rank")
    return (statement.add_columns(rank).join(Student, Student.id == student_id).where(Student.school_id == school_id)
            .subquery())  # fmt: skip


def latest_opt_rows(session: Session, student_ids: list[int]) -> dict:
    """Student id -> the OPT a list row shows (the newest program record with an OPT, its latest), in one statement."""
    if not student_ids:
        return {}
    rows = session.connection().execute(
        select(ProgramRecord.student_id, OptAuthorization.kind, OptAuthorization.status, OptAuthorization.start_date,
               OptAuthorization.end_date)
        .join(OptAuthorization, OptAuthorization.program_record_id == ProgramRecord.id)
        .where(_any_of(session, ProgramRecord.student_id, student_ids))
        .order_by(ProgramRecord.student_id, ProgramRecord.created_at, ProgramRecord.id, OptAuthorization.start_date,
                  OptAuthorization.id)
    ).all()  # fmt: skip
    return {row.student_id: row for row in rows}  # the last row of each student wins


def current_employer_names(session: Session, school_id: int, student_ids: list[int], today: date) -> dict[int, str]:
    """Student id -> name of the employer the timeline shows as current on ``today`` (its mark), in one statement."""
    if not student_ids:
        return {}
    rows = session.connection().execute(
        select(TimelineMark.student_id, Employer.name)
        .join(Employer, Employer.id == _marked_employer_id())
        .where(*marked(MarkKind.CURRENT_EMPLOYER, today, school_id), _any_of(session, TimelineMark.student_id, student_ids))
        .order_by(TimelineMark.student_id, TimelineMark.starts_on)
    ).all()  # fmt: skip
    return {student_id: name for student_id, name in rows}


def export_csv(session: Session, school_id: int, query: StudentQuery, *, today: date | None = None) -> Iterator[bytes]:
    """The list (all pages) as CSV chunks: written by PostgreSQL and streamed with COPY there, else row by row."""
    if session.get_bind().dialect.name != "postgresql":
        return (chunk.encode() for chunk in csv_chunks(EXPORT_HEADER, export_rows(session, school_id, query, today=today)))
    return csv_copy_chunks(session, EXPORT_HEADER, export_rows_query(school_id, query, today=today, as_text=True),
                           **_export_layout(query))  # fmt: skip


def export_xlsx(session: Session, school_id: int, query: StudentQuery, *, today: date | None = None) -> Iterator[bytes]:
    """The list (all pages) as XLSX chunks, as ``export_csv``."""
    if session.get_bind().dialect.name != "postgresql":
        return xlsx_chunks(EXPORT_HEADER, export_rows(session, school_id, query, today=today), sheet="Students")
    statement = export_rows_query(school_id, query, today=today, as_text=True)
    number = func.row_number().over(order_by=_ordering(query)) + 1
    return xlsx_copy_chunks(session, EXPORT_HEADER, statement.add_columns(number.label("row_number")), sheet="Students",
                            **_export_layout(query))  # fmt: skip


def export_rows(session: Session, school_id: int, query: StudentQuery, *, today: date | None = None) -> Iterator:
    """The export's rows as Python reads them (SQLite's export), in batches so memory stays flat."""
    statement = export_rows_query(school_id, query, today=today).execution_options(stream_results=True,
                                                                                   max_row_buffer=5000)  # fmt: skip
    for partition in session.connection().execute(statement).partitions(5000):
        yield from partition


def _export_layout(query: StudentQuery) -> dict:
    columns = ["sevis_id", "surname", "given_name", "email", "kind", "status", "opt_start", "opt_end", "account",
               "employer", "unemployed", "nearing_limit"]  # fmt: skip
    return {"columns": columns, "order": [f"key{index}" for index in range(len(SORTS[query.sort]))],
            "descending": query.descending,
            # the SEVIS ID and OPT kind and status (checked by the database), ISO dates, the account's state, Yes/No
            "plain": frozenset({"sevis_id", "kind", "status", "opt_start", "opt_end", "account", "unemployed",
                                "nearing_limit"})}  # fmt: skip


@dataclass
class StudentPage:
    rows: list  # plain rows: id, sevis_id, surname, given_name, email, has_user, locked_until, has_password
    total: int
    query: StudentQuery
    opts: dict  # student id -> the latest OPT (latest_opt_rows)
    employers: dict  # student id -> name of the timeline's current employer (current_employer_names)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))

    @property
    def first(self) -> int:
        return 0 if self.total == 0 else (self.query.page - 1) * self.query.per_page + 1

    @property
    def last(self) -> int:
        return min(self.total, self.query.page * self.query.per_page)


def search_students(session: Session, school_id: int, query: StudentQuery, *, today: date | None = None) -> StudentPage:
    """One page of the school's students for ``query``, with the total: three statements (five past the last page)."""
    today = today or today_eastern()
    conditions = _conditions(school_id, query, today, utcnow())
    count = select(func.count()).select_from(Student).where(*conditions)

    def page_rows() -> list:
        # The page and the total in one statement: the count is an uncorrelated subquery the database runs once;
        # the page's ids come first, and only its rows are joined to their accounts.
        page = (
            select(Student.id, Student.sevis_id, Student.surname, Student.given_name, Student.email, Student.updated_at,
                   count.correlate(None).scalar_subquery().label("total"))
            .where(*conditions).order_by(*_ordering(query))
            .limit(query.per_page).offset((query.page - 1) * query.per_page)
            .subquery("page")
        )  # fmt: skip
        return session.connection().execute(_with_account(page, query).add_columns(page.c.total)).all()

    rows = page_rows()
    if rows:
        total = rows[0].total
    elif query.page == 1:
        total = 0
    else:  # past the last page: show the last one, as the numbers in the links may be out of date
        total = session.scalar(count)
        query.page = max(1, -(-total // query.per_page))
        rows = page_rows() if total else []
    ids = [row.id for row in rows]
    return StudentPage(rows=rows, total=total, query=query, opts=latest_opt_rows(session, ids),
                       employers=current_employer_names(session, school_id, ids, today))  # fmt: skip


# --- What a row shows ---------------------------------------------------------------------


def account_label_from(has_user: bool, locked_until: datetime | None, has_password: bool, now: datetime) -> str:
    """Short portal-account status for the list and the export, from the account's columns."""
    if not has_user:
        return "Not created"
    if locked_until is not None:
        if locked_until.tzinfo is None:
            locked_until = locked_until.replace(tzinfo=UTC)
        if locked_until > now:
            return "Locked"
    if not has_password:
        return "Invitation sent"
    return "Active"


# --- Alerts (the SEVIS convention: an alert appears only when someone is on it) --------------

ALERTS = (
    ("no_employer", "Approved OPT without current employer information"),
    ("nearing_limit", f"Unemployment nearing the limit: {NEARING_LIMIT_REMAINING} or fewer unemployment days left "
                      "(days without employment add up over the whole OPT, as SEVIS counts them)"),
    ("overdue", "Reporting overdue"),
    ("locked", "Locked portal accounts"),
    ("stem_review", "STEM employers waiting for your review"),
)
ALERT_ARGS = {"no_employer": {"no_employer": "1"}, "nearing_limit": {"nearing_limit": "1"},
              "overdue": {"overdue": "1"}, "locked": {"account": "locked"}, "stem_review": {"stem_review": "1"}}  # fmt: skip


@dataclass
class Alert:
    key: str
    label: str
    count: int
    args: dict


@cache
def _alert_counts():
    """The counts of every alert as one statement, built once: the school and the day are its parameters."""
    school_id = bindparam("school_id", type_=Integer)
    today = bindparam("today", type_=Date)

    def students_marked(kind: MarkKind):
        # On the marks' (school, kind, period) index alone: the students the filter lists (one mark each a day).
        return select(func.count(TimelineMark.student_id.distinct())).where(*marked(kind, today, school_id))

    def students_where(condition):
        return select(func.count()).select_from(Student).where(Student.school_id == school_id, condition)

    counts = {
        "no_employer": students_marked(MarkKind.UNEMPLOYED),
        "nearing_limit": students_marked(MarkKind.NEARING_LIMIT),
        "overdue": students_where(reporting_overdue(today)),
        "locked": students_where(locked_account(bindparam("now", type_=UTCDateTime))),
        "stem_review": students_where(stem_employer_waiting()),
    }
    # One scalar subquery per alert, each planned on its own index and reading only the students on it.
    return select(*[count.scalar_subquery().label(key) for key, count in counts.items()])


def school_alerts(session: Session, school_id: int, *, today: date | None = None) -> list[Alert]:
    """The alerts that have someone on them on ``today``, with their counts, in one statement."""
    counts = session.execute(_alert_counts(), {"school_id": school_id, "today": today or today_eastern(),
                                               "now": utcnow()}).one()  # fmt: skip
    return [Alert(key, label, int(getattr(counts, key)), ALERT_ARGS[key]) for key, label in ALERTS
            if getattr(counts, key)]  # fmt: skip


LOOK_UP_LIMIT = 50
LOOK_UP_MIN = 2


@dataclass
class LookUp:
    """Support's look-up: what was asked, the students found (by name), and whether there were more than shown."""

    q: str
    students: list
    more: bool
    error: str | None = None


def look_up_students(session: Session, raw: str | None, *, limit: int | None = None) -> LookUp:
    """Support's look-up across every school: students whose name or email contains the text, or whose SEVIS ID
    starts with it, by name, at most ``limit`` (one statement). Too short, too long or control characters: a message
    in ``error`` and no query."""
    from sqlalchemy.orm import joinedload

    limit = limit or LOOK_UP_LIMIT
    q = (raw or "").strip()
    if not q:
        return LookUp(q, [], False)
    if len(q) > MAX_QUERY or any(ord(ch) < 32 for ch in q):
        return LookUp("", [], False, f"Search for a name, an email or a SEVIS ID (at most {MAX_QUERY} characters).")
    if len(q) < LOOK_UP_MIN:
        return LookUp(q, [], False, f"Type at least {LOOK_UP_MIN} characters of a name, an email or a SEVIS ID.")
    pattern = "%" + like_escape(q.lower()) + "%"
    parts = [select(Student.id).where(full_name_expression().like(pattern, escape="\\")),
             select(Student.id).where(Student.email.like(pattern, escape="\\"))]  # fmt: skip
    if re.fullmatch(r"[Nn]\d{1,10}", q):
        parts.append(select(Student.id).where(Student.sevis_id.like(q.upper() + "%")))
    students = list(session.scalars(
        select(Student).where(Student.id.in_(union(*parts).scalar_subquery())).options(joinedload(Student.school))
        .order_by(Student.surname, Student.given_name, Student.id).limit(limit + 1)))  # fmt: skip
    return LookUp(q, students[:limit], len(students) > limit)
