"""The school's students list: the search (read by student_search_terms), its filters, sorting and pages, and what a row shows, in a constant number
of statements. The export (student_export) and the alerts (student_alerts) read the same conditions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Boolean, Integer, any_, bindparam, case, cast, exists, func, or_, select, union
from sqlalchemy.dialects.postgresql import ARRAY
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
)
from portal.models.enums import EmployerReview
from portal.models.student import student_full_name
from portal.services.clock import start_of_day_utc, today_eastern
from portal.services.student_search_terms import SORTS, StudentQuery
from portal.services.timeline import MarkKind

_SEVIS_ID = re.compile(r"N\d{10}", re.IGNORECASE)


# --- Conditions on one student ------------------------------------------------------------------


def marked(kind: MarkKind, day, school_id) -> list:
    """The conditions on timeline_marks for a mark of ``kind`` covering ``day`` at the school (its index's columns).

    The marks are the timeline's own periods (portal.services.timeline.database keeps them current on every flush), so a
    list, an alert and an export ask the timeline, never count again (DESIGN rules 16 and 17).
    """
    return [
        TimelineMark.school_id == school_id,
        TimelineMark.kind == str(kind),
        TimelineMark.starts_on <= day,
        TimelineMark.ends_on >= day,
    ]


def on_the_timeline(kind: MarkKind, day, school_id):
    """The school's students with a timeline mark of ``kind`` covering ``day``."""
    return Student.id.in_(select(TimelineMark.student_id).where(*marked(kind, day, school_id)))


def marked_employer_id():
    """A current_employer mark's employer id (its ``detail``); the CASE keeps the cast off other kinds' details."""
    return case((TimelineMark.kind == str(MarkKind.CURRENT_EMPLOYER), cast(TimelineMark.detail, Integer)))


def reporting_overdue(today: date):
    return exists().where(
        ReportingObligation.student_id == Student.id,
        ReportingObligation.open_condition(),
        ReportingObligation.due_on < today,
    )


def locked_account(now: datetime):
    return exists().where(User.student_id == Student.id, User.locked_until > now)


def stem_employer_waiting():
    return exists().where(
        Employer.student_id == Student.id,
        Employer.deleted_at.is_(None),
        Employer.review_status == EmployerReview.WAITING,
    )


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


def list_conditions(school_id: int, query: StudentQuery, today: date, now: datetime) -> list:
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
        conditions.append(
            exists().where(
                Event.student_id == Student.id,
                Event.change_kind.is_not(None),
                Event.occurred_at >= start_of_day_utc(query.changed_since),
            )
        )
    if query.reported_late:
        conditions.append(
            or_(
                exists().where(Event.student_id == Student.id, Event.reported_late.is_(True)),
                exists().where(Employer.student_id == Student.id, Employer.reported_late.is_(True)),
            )
        )
    if query.overdue:
        conditions.append(reporting_overdue(today))
    if query.stem_review:
        conditions.append(stem_employer_waiting())
    return conditions


def list_order(query: StudentQuery, source=None):
    """The ORDER BY of the list, on the students table or on a subquery with its column names."""
    columns = [source.c[column.key] if source is not None else column for column in SORTS[query.sort]]
    return [column.desc() if query.descending else column.asc() for column in columns]


# An alias: the conditions' own EXISTS on users must not correlate to the list's join with the account.
ACCOUNT = User.__table__.alias("account")


def _with_account(source, query: StudentQuery):
    """The columns a list row shows from ``source`` (students, or a page of them) with the account's state, in order."""
    return (
        select(
            source.c.id,
            source.c.sevis_id,
            source.c.surname,
            source.c.given_name,
            source.c.email,
            ACCOUNT.c.id.is_not(None).label("has_user"),
            ACCOUNT.c.locked_until,
            ACCOUNT.c.password_hash.is_not(None).label("has_password"),
        )
        .outerjoin(ACCOUNT, ACCOUNT.c.student_id == source.c.id)
        .order_by(*list_order(query, source))
    )


def _any_of(session: Session, column, ids: list[int]):
    """``column IN ids``: one array parameter on PostgreSQL (thousands of ids compile and send cheaply)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def latest_opt_rows(session: Session, student_ids: list[int]) -> dict:
    """Student id -> the OPT a list row shows (the newest program record with an OPT, its latest), in one statement."""
    if not student_ids:
        return {}
    rows = (
        session.connection()
        .execute(
            select(
                ProgramRecord.student_id,
                OptAuthorization.kind,
                OptAuthorization.status,
                OptAuthorization.start_date,
                OptAuthorization.end_date,
            )
            .join(OptAuthorization, OptAuthorization.program_record_id == ProgramRecord.id)
            .where(_any_of(session, ProgramRecord.student_id, student_ids))
            .order_by(
                ProgramRecord.student_id,
                ProgramRecord.created_at,
                ProgramRecord.id,
                OptAuthorization.start_date,
                OptAuthorization.id,
            )
        )
        .all()
    )
    return {row.student_id: row for row in rows}  # the last row of each student wins


def current_employer_names(session: Session, school_id: int, student_ids: list[int], today: date) -> dict[int, str]:
    """Student id -> name of the employer the timeline shows as current on ``today`` (its mark), in one statement."""
    if not student_ids:
        return {}
    rows = (
        session.connection()
        .execute(
            select(TimelineMark.student_id, Employer.name)
            .join(Employer, Employer.id == marked_employer_id())
            .where(
                *marked(MarkKind.CURRENT_EMPLOYER, today, school_id),
                _any_of(session, TimelineMark.student_id, student_ids),
            )
            .order_by(TimelineMark.student_id, TimelineMark.starts_on)
        )
        .all()
    )
    return {student_id: name for student_id, name in rows}


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
    conditions = list_conditions(school_id, query, today, utcnow())
    count = select(func.count()).select_from(Student).where(*conditions)

    def page_rows() -> list:
        # The page and the total in one statement: the count is an uncorrelated subquery the database runs once;
        # the page's ids come first, and only its rows are joined to their accounts.
        page = (
            select(
                Student.id,
                Student.sevis_id,
                Student.surname,
                Student.given_name,
                Student.email,
                Student.updated_at,
                count.correlate(None).scalar_subquery().label("total"),
            )
            .where(*conditions)
            .order_by(*list_order(query))
            .limit(query.per_page)
            .offset((query.page - 1) * query.per_page)
            .subquery("page")
        )
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
    return StudentPage(
        rows=rows,
        total=total,
        query=query,
        opts=latest_opt_rows(session, ids),
        employers=current_employer_names(session, school_id, ids, today),
    )


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
