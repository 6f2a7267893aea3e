"""The school's students list: search, filters, sorting, pages and alerts, in a constant number of statements."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from sqlalchemy import Boolean, Date, Integer, and_, bindparam, case, exists, func, or_, select, union
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from portal.models import Employer, Event, OptAuthorization, ProgramRecord, ReportingObligation, Student, User, utcnow
from portal.models.base import UTCDateTime
from portal.models.enums import EmployerReview, OptKind, OptStatus, ProgramStatus
from portal.models.student import student_full_name
from portal.services.clock import today_eastern
from portal.services.exports import csv_chunks, xlsx_chunks
from portal.services.exports_postgresql import csv_copy_chunks, xlsx_copy_chunks

PAGE_SIZES = (10, 25, 50, 100, 250, 500, 1000)  # as SEVIS lists offer
SORTS = {
    "name": (Student.surname, Student.given_name, Student.id),
    "sevis_id": (Student.sevis_id,),
    "email": (Student.email, Student.id),
    "changed": (Student.updated_at, Student.id),
}
ACCOUNT_FILTERS = ("created", "pending", "locked")
UNEMPLOYMENT_ALERT_DAYS = 60
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
    unemployed_60: bool = False
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
            "unemployed_60": "1" if self.unemployed_60 else None,
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
    for flag in ("no_employer", "unemployed_60", "reported_late", "overdue", "stem_review"):
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


# --- Conditions, each a correlated EXISTS on one student ---------------------------------------


def _current_opt_condition(today: date):
    """An approved OPT on an active program that has not ended."""
    return (
        select(OptAuthorization.id)
        .join(ProgramRecord, ProgramRecord.id == OptAuthorization.program_record_id)
        .where(ProgramRecord.student_id == Student.id, ProgramRecord.status == ProgramStatus.ACTIVE,
               OptAuthorization.status == OptStatus.APPROVED, OptAuthorization.ended_on.is_(None),
               OptAuthorization.end_date >= today)  # fmt: skip
    )


def _not_employed_since(day: date):
    """No live employer whose employment reaches ``day`` (one with no end date reaches every day).

    Read from students.employed_until, which triggers on employers keep (portal/models/employment.py): one index
    on students answers it instead of an anti-join with every employer of the school.
    """
    return or_(Student.employed_until.is_(None), Student.employed_until < day)


def _probed(condition):
    """EXISTS ``condition``, probed once per student that the other conditions leave.

    OFFSET 0 keeps PostgreSQL from turning it into a semi-join, which would read the OPT of every student of the
    school to test the few without an employer (the employed_until index leaves only those).
    """
    return exists(condition.offset(0))


def without_current_employer(today: date):
    return and_(_not_employed_since(today), _probed(_current_opt_condition(today)))


def unemployed_since(since: date, today: date):
    """A current approved OPT that started by ``since`` and no employer reported from then on: unemployed since."""
    return and_(_not_employed_since(since),
                _probed(_current_opt_condition(today).where(OptAuthorization.start_date <= since)))  # fmt: skip


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


def _start_of_day_utc(day: date) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time.min, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)


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
        conditions.append(without_current_employer(today))
    if query.unemployed_60:
        conditions.append(unemployed_since(today - timedelta(days=UNEMPLOYMENT_ALERT_DAYS), today))
    if query.changed_since:
        conditions.append(exists().where(Event.student_id == Student.id, Event.change_kind.is_not(None),
                                         Event.occurred_at >= _start_of_day_utc(query.changed_since)))  # fmt: skip
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
                 "Portal account", "Current employer"]  # fmt: skip


def export_rows_query(school_id: int, query: StudentQuery, *, today: date | None = None, as_text: bool = False):
    """The export: the same students in the same order, a row each of what the list shows (the OPT ``latest_opt_rows``
    gives, ``account_label_from``, the live employer with the newest start), in one statement.

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
    employers = _first_per_student(select(Employer.student_id, Employer.name).where(Employer.deleted_at.is_(None)),
                                   Employer.student_id, school_id,
                                   (Employer.start_date.desc(), Employer.id.desc()))  # fmt: skip
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
               employers.c.name.label("employer"), *keys)
        .outerjoin(_ACCOUNT, _ACCOUNT.c.student_id == Student.id)
        .outerjoin(opts, and_(opts.c.student_id == Student.id, opts.c.rank == 1))
        .outerjoin(employers, and_(employers.c.student_id == Student.id, employers.c.rank == 1))
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


def current_employer_names(session: Session, student_ids: list[int]) -> dict[int, str]:
    """Student id -> name of the live employer with the newest start, the latest reported on a tie (as the export), in one statement."""
    if not student_ids:
        return {}
    names: dict[int, str] = {}
    rows = session.connection().execute(select(Employer.student_id, Employer.name)
                           .where(_any_of(session, Employer.student_id, student_ids), Employer.deleted_at.is_(None))
                           .order_by(Employer.start_date.desc(), Employer.id.desc())).all()  # fmt: skip
    for student_id, name in rows:
        names.setdefault(student_id, name)
    return names


def export_csv(session: Session, school_id: int, query: StudentQuery) -> Iterator[bytes]:
    """The list (all pages) as CSV chunks: written by PostgreSQL and streamed with COPY there, else row by row."""
    if session.get_bind().dialect.name != "postgresql":
        return (chunk.encode() for chunk in csv_chunks(EXPORT_HEADER, export_rows(session, school_id, query)))
    return csv_copy_chunks(session, EXPORT_HEADER, export_rows_query(school_id, query, as_text=True),
                           **_export_layout(query))  # fmt: skip


def export_xlsx(session: Session, school_id: int, query: StudentQuery) -> Iterator[bytes]:
    """The list (all pages) as XLSX chunks, as ``export_csv``."""
    if session.get_bind().dialect.name != "postgresql":
        return xlsx_chunks(EXPORT_HEADER, export_rows(session, school_id, query), sheet="Students")
    statement = export_rows_query(school_id, query, as_text=True)
    number = func.row_number().over(order_by=_ordering(query)) + 1
    return xlsx_copy_chunks(session, EXPORT_HEADER, statement.add_columns(number.label("row_number")), sheet="Students",
                            **_export_layout(query))  # fmt: skip


def export_rows(session: Session, school_id: int, query: StudentQuery) -> Iterator:
    """The export's rows as Python reads them (SQLite's export), in batches so memory stays flat."""
    statement = export_rows_query(school_id, query).execution_options(stream_results=True, max_row_buffer=5000)
    for partition in session.connection().execute(statement).partitions(5000):
        yield from partition


def _export_layout(query: StudentQuery) -> dict:
    columns = ["sevis_id", "surname", "given_name", "email", "kind", "status", "opt_start", "opt_end", "account",
               "employer"]  # fmt: skip
    return {"columns": columns, "order": [f"key{index}" for index in range(len(SORTS[query.sort]))],
            "descending": query.descending,
            # the SEVIS ID and OPT kind and status (checked by the database), ISO dates and the account's state
            "plain": frozenset({"sevis_id", "kind", "status", "opt_start", "opt_end", "account"})}  # fmt: skip


@dataclass
class StudentPage:
    rows: list  # plain rows: id, sevis_id, surname, given_name, email, has_user, locked_until, has_password
    total: int
    query: StudentQuery
    opts: dict  # student id -> the latest OPT (latest_opt_rows)
    employers: dict  # student id -> name of the newest live employer (current_employer_names)

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
    conditions = _conditions(school_id, query, today or today_eastern(), utcnow())
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
                       employers=current_employer_names(session, ids))  # fmt: skip


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
    ("unemployed_60", f"Unemployment nearing the limit ({UNEMPLOYMENT_ALERT_DAYS} days or more without an employer)"),
    ("overdue", "Reporting overdue"),
    ("locked", "Locked portal accounts"),
    ("stem_review", "STEM employers waiting for your review"),
)


@dataclass
class Alert:
    key: str
    label: str
    count: int
    args: dict


@cache
def _alert_counts():
    """The counts of every alert as one statement, built once: the school and the day are its parameters."""
    today = bindparam("today", type_=Date)
    conditions = {
        "no_employer": without_current_employer(today),
        "unemployed_60": unemployed_since(bindparam("since", type_=Date), today),
        "overdue": reporting_overdue(today),
        "locked": locked_account(bindparam("now", type_=UTCDateTime)),
        "stem_review": stem_employer_waiting(),
    }
    # One scalar subquery per alert, each planned on its own index (employed_until, the open obligations, the locks,
    # the waiting reviews) and reading only the students on it: one statement, each count cheap.
    return select(*[select(func.count()).select_from(Student)
                    .where(Student.school_id == bindparam("school_id", type_=Integer), condition)
                    .scalar_subquery().label(key) for key, condition in conditions.items()])  # fmt: skip


def school_alerts(session: Session, school_id: int, *, today: date | None = None) -> list[Alert]:
    """The alerts that have someone on them, with their counts, in one statement."""
    today = today or today_eastern()
    counts = session.execute(_alert_counts(), {
        "school_id": school_id, "today": today, "since": today - timedelta(days=UNEMPLOYMENT_ALERT_DAYS),
        "now": utcnow()}).one()  # fmt: skip
    args = {"no_employer": {"no_employer": "1"}, "unemployed_60": {"unemployed_60": "1"}, "overdue": {"overdue": "1"},
            "locked": {"account": "locked"}, "stem_review": {"stem_review": "1"}}  # fmt: skip
    return [Alert(key, label, int(getattr(counts, key)), args[key]) for key, label in ALERTS if getattr(counts, key)]


def check_school_student(session: Session, school_id: int | None, sevis_id: str, *options) -> Student:
    """The student with ``sevis_id`` at ``school_id`` (any school when None), loaded with ``options``; else NotFound."""
    from portal.services.errors import NotFound

    sevis_id = (sevis_id or "").strip().upper()
    if not _SEVIS_ID.fullmatch(sevis_id):
        raise NotFound("There is no student with that SEVIS ID at your school.")
    statement = select(Student).where(Student.sevis_id == sevis_id).options(*options)
    if school_id is not None:
        statement = statement.where(Student.school_id == school_id)
    student = session.scalars(statement).unique().one_or_none()
    if student is None:
        raise NotFound("There is no student with that SEVIS ID at your school.")
    return student
