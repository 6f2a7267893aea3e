"""The students list as a download (CSV or XLSX): every page of the same students in the same order, one
statement, streamed (PostgreSQL writes the cells itself with COPY)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from portal.models import Employer, OptAuthorization, ProgramRecord, Student, TimelineMark, utcnow
from portal.models.enums import EmploymentType, OptKind, OptStatus
from portal.services.clock import today_eastern
from portal.services.exports import csv_chunks, xlsx_chunks
from portal.services.exports_postgresql import csv_copy_chunks, xlsx_copy_chunks
from portal.services.labels import LABELS, field_label
from portal.services.student_search import ACCOUNT, list_conditions, list_order, marked, marked_employer_id
from portal.services.student_search_terms import SORTS, StudentQuery
from portal.services.timeline import MarkKind

EXPORT_HEADER = [
    "SEVIS ID",
    "Surname",
    "Given name",
    "Email",
    "OPT type",
    "OPT status",
    "OPT start",
    "OPT end",
    "Portal account",
    "Current employer",
    field_label("employment_type"),
    "Approved OPT without current employer",
    "Unemployment nearing the limit",
]
YES, NO = "Yes", "No"
# Columns holding an enum's value: the cell is the label table's words for it (issue 13: no `full_time` in a cell).
WORDS_FOR = {"kind": OptKind, "status": OptStatus, "employment_type": EmploymentType}


def in_words(column, enum):
    """``column``'s enum value as the label table's words, in SQL (so PostgreSQL's COPY writes the same cell)."""
    return case({member.value: words for member, words in LABELS[enum].items()}, value=column)


def _marked_today(kind: MarkKind, school_id: int, today: date, name: str):
    """The school's students with a mark of ``kind`` covering ``today``: one row each (a kind's periods never overlap)."""
    return select(TimelineMark.student_id).where(*marked(kind, today, school_id)).subquery(name)


def export_rows_query(school_id: int, query: StudentQuery, *, today: date | None = None, as_text: bool = False):
    """The export: the same students in the same order, a row each of what the list shows (the OPT ``latest_opt_rows``
    gives, ``account_label_from``, the timeline's current employer and its employment type) and the timeline's two
    alerts, in one statement; enum values as the label table's words.

    The current employer and the alerts are the timeline's marks covering ``today``. Unemployment days used are not
    here: they depend on the day and are the timeline's to count (Student Information shows them).
    ``as_text`` (PostgreSQL's COPY writes the cells): dates as ISO text and the sort keys as key0, key1 ...
    """
    today = today or today_eastern()
    now = utcnow()
    # Each student's first row by these orders, ranked for the whole school at once (not a subquery per student).
    opts = _first_per_student(
        select(
            ProgramRecord.student_id,
            OptAuthorization.kind,
            OptAuthorization.status,
            OptAuthorization.start_date,
            OptAuthorization.end_date,
        ).join(OptAuthorization, OptAuthorization.program_record_id == ProgramRecord.id),
        ProgramRecord.student_id,
        school_id,
        (
            ProgramRecord.created_at.desc(),
            ProgramRecord.id.desc(),
            OptAuthorization.start_date.desc(),
            OptAuthorization.id.desc(),
        ),
    )
    employers = (
        select(TimelineMark.student_id, Employer.name, Employer.employment_type)
        .join(Employer, Employer.id == marked_employer_id())
        .where(*marked(MarkKind.CURRENT_EMPLOYER, today, school_id))
        .subquery("current_employers")
    )
    unemployed = _marked_today(MarkKind.UNEMPLOYED, school_id, today, "unemployed")
    nearing = _marked_today(MarkKind.NEARING_LIMIT, school_id, today, "nearing_limit")
    account = case(
        (ACCOUNT.c.id.is_(None), "Not created"),
        (ACCOUNT.c.locked_until > now, "Locked"),
        (ACCOUNT.c.password_hash.is_(None), "Invitation sent"),
        else_="Active",
    )  # account_label()'s answers
    start, end = opts.c.start_date, opts.c.end_date
    keys = []
    if as_text:
        start, end = func.to_char(start, "YYYY-MM-DD"), func.to_char(end, "YYYY-MM-DD")
        keys = [column.label(f"key{index}") for index, column in enumerate(SORTS[query.sort])]
    return (
        select(
            Student.sevis_id,
            Student.surname,
            Student.given_name,
            Student.email,
            in_words(opts.c.kind, OptKind).label("kind"),
            in_words(opts.c.status, OptStatus).label("status"),
            start.label("opt_start"),
            end.label("opt_end"),
            account.label("account"),
            employers.c.name.label("employer"),
            in_words(employers.c.employment_type, EmploymentType).label("employment_type"),
            case((unemployed.c.student_id.is_(None), NO), else_=YES).label("unemployed"),
            case((nearing.c.student_id.is_(None), NO), else_=YES).label("nearing_limit"),
            *keys,
        )
        .outerjoin(ACCOUNT, ACCOUNT.c.student_id == Student.id)
        .outerjoin(opts, and_(opts.c.student_id == Student.id, opts.c.rank == 1))
        .outerjoin(employers, employers.c.student_id == Student.id)
        .outerjoin(unemployed, unemployed.c.student_id == Student.id)
        .outerjoin(nearing, nearing.c.student_id == Student.id)
        .where(*list_conditions(school_id, query, today, now))
        .order_by(*list_order(query))
    )


def _first_per_student(statement, student_id, school_id: int, order):
    """``statement`` for the school's students with a ``rank`` column: 1 on each student's first row by ``order``."""
    rank = func.row_number().over(partition_by=student_id, order_by=order).label("rank")
    return (
        statement.add_columns(rank)
        .join(Student, Student.id == student_id)
        .where(Student.school_id == school_id)
        .subquery()
    )


def export_csv(session: Session, school_id: int, query: StudentQuery, *, today: date | None = None) -> Iterator[bytes]:
    """The list (all pages) as CSV chunks: written by PostgreSQL and streamed with COPY there, else row by row."""
    if session.get_bind().dialect.name != "postgresql":
        return (
            chunk.encode() for chunk in csv_chunks(EXPORT_HEADER, export_rows(session, school_id, query, today=today))
        )
    return csv_copy_chunks(
        session, EXPORT_HEADER, export_rows_query(school_id, query, today=today, as_text=True), **_export_layout(query)
    )


def export_xlsx(session: Session, school_id: int, query: StudentQuery, *, today: date | None = None) -> Iterator[bytes]:
    """The list (all pages) as XLSX chunks, as ``export_csv``."""
    if session.get_bind().dialect.name != "postgresql":
        return xlsx_chunks(EXPORT_HEADER, export_rows(session, school_id, query, today=today), sheet="Students")
    statement = export_rows_query(school_id, query, today=today, as_text=True)
    number = func.row_number().over(order_by=list_order(query)) + 1
    return xlsx_copy_chunks(
        session,
        EXPORT_HEADER,
        statement.add_columns(number.label("row_number")),
        sheet="Students",
        **_export_layout(query),
    )


def export_rows(session: Session, school_id: int, query: StudentQuery, *, today: date | None = None) -> Iterator:
    """The export's rows as Python reads them (SQLite's export), in batches so memory stays flat."""
    statement = export_rows_query(school_id, query, today=today).execution_options(
        stream_results=True, max_row_buffer=5000
    )
    for partition in session.connection().execute(statement).partitions(5000):
        yield from partition


def _export_layout(query: StudentQuery) -> dict:
    columns = [
        "sevis_id",
        "surname",
        "given_name",
        "email",
        "kind",
        "status",
        "opt_start",
        "opt_end",
        "account",
        "employer",
        "employment_type",
        "unemployed",
        "nearing_limit",
    ]
    return {
        "columns": columns,
        "order": [f"key{index}" for index in range(len(SORTS[query.sort]))],
        "descending": query.descending,
        # the SEVIS ID (checked by the database), the label table's words (tests check they need nothing), ISO dates,
        # the account's state, Yes/No
        "plain": frozenset({"sevis_id", *WORDS_FOR, "opt_start", "opt_end", "account", "unemployed", "nearing_limit"}),
    }
