"""Problem reports (DESIGN rule 14): a student writes one with optional screenshots; support works it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal.mail.outbox import queue_email
from portal.models import Document, ProblemReport, Student, User
from portal.models.enums import DocumentKind, ProblemStatus, Role
from portal.services.actors import Actor
from portal.services.clock import EASTERN
from portal.services.errors import InvalidValue, NotAllowed
from portal.services.events import record_event
from portal.services.uploads import IMAGE_MAX_BYTES, read_limited, reencoded_image, safe_filename, store_bytes
from portal.services.validation import clean_text

MAX_SCREENSHOTS = 3
DESCRIPTION_MAX = 5000
SUMMARY_MAX = 300
OPEN_STATUSES = (ProblemStatus.NEW, ProblemStatus.IN_PROGRESS)  # the queue shows these unless asked otherwise
NO_NOTE_ANSWER = "Support marked your report as answered. Sign in and open Report a problem to see it."


def _reported_on(report: ProblemReport) -> str:
    day = report.created_at.astimezone(EASTERN).date()
    return f"{day:%B} {day.day}, {day.year}"


def _context(report: ProblemReport, student: Student) -> dict:
    return {"student_name": student.full_name, "reported_on": _reported_on(report)}


def create_problem_report(
    session: Session, student: Student, *, actor: Actor, description, screenshots=(), upload_dir: str
) -> ProblemReport:
    """File a report for support with the student's name and SEVIS ID; refuses an empty description,
    more than three screenshots, and a screenshot that is not a sound PNG/JPEG or over 5 MB (413); screenshots are
    stored re-encoded."""
    if actor.is_student and actor.student_id is not None and actor.student_id != student.id:
        raise NotAllowed("You can report a problem only for yourself.")
    text = clean_text(
        description,
        field="description",
        label="description of the problem",
        max_length=DESCRIPTION_MAX,
        required=True,
        multiline=True,
    )
    files = [item for item in screenshots if item is not None and getattr(item, "filename", None)]
    if len(files) > MAX_SCREENSHOTS:
        raise InvalidValue(f"Attach at most {MAX_SCREENSHOTS} screenshots.", field="screenshots")
    checked = []
    for item in files:
        data = read_limited(
            item.stream,
            IMAGE_MAX_BYTES,
            label=f"screenshot {safe_filename(item.filename, 'image')}",
            field="screenshots",
        )
        checked.append((item.filename, *reencoded_image(data, field="screenshots")))
    report = ProblemReport(
        student_id=student.id,
        reporter_name=student.full_name[:120],
        sevis_id=student.sevis_id,
        description=text,
        status=ProblemStatus.NEW,
    )
    session.add(report)
    session.flush()
    for filename, data, content_type in checked:
        stored_name, digest = store_bytes(upload_dir, data)
        session.add(
            Document(
                student_id=student.id,
                kind=DocumentKind.SCREENSHOT,
                problem_report_id=report.id,
                original_filename=safe_filename(filename, "screenshot"),
                stored_name=stored_name,
                content_type=content_type,
                size_bytes=len(data),
                sha256=digest,
                uploaded_by_user_id=actor.user_id,
            )
        )
    session.flush()
    record_event(
        session,
        actor,
        "problem.reported",
        student=student,
        subject=f"problem:{report.id}",
        after={"description": text[:500], "screenshots": len(checked)},
    )
    summary = text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1].rstrip() + "…"
    queue_email(
        session,
        template="problem_received",
        to=student.email,
        student=student,
        context={**_context(report, student), "summary": summary},
    )
    return report


def update_problem_report(
    session: Session,
    report: ProblemReport,
    *,
    actor: Actor,
    status=None,
    assignee: User | None = None,
    note_to_student=None,
) -> ProblemReport:
    """Support changes a report's status, assignee or note to the student (a new note or "answered" emails the
    student once); refuses anyone but support."""
    if not actor.is_support:
        raise NotAllowed("Only support staff work on problem reports.")
    before = {
        "status": report.status,
        "assigned_to_user_id": report.assigned_to_user_id,
        "note_to_student": report.note_to_student,
    }
    if status is not None:
        try:
            report.status = ProblemStatus(status)
        except ValueError:
            raise InvalidValue("Choose a status from the list.", field="status") from None
    if assignee is not None:
        if assignee.role is not Role.SUPPORT:
            raise InvalidValue("Assign the report to a member of support staff.", field="assignee")
        report.assigned_to_user_id = assignee.id
    if note_to_student is not None:
        report.note_to_student = (
            clean_text(
                note_to_student,
                field="note_to_student",
                label="note to the student",
                max_length=DESCRIPTION_MAX,
                multiline=True,
            )
            or ""
        )
    after = {
        "status": report.status,
        "assigned_to_user_id": report.assigned_to_user_id,
        "note_to_student": report.note_to_student,
    }
    if after == before:
        return report
    session.flush()
    record_event(
        session,
        actor,
        "problem.updated",
        student=report.student,
        subject=f"problem:{report.id}",
        before=before,
        after=after,
    )
    new_note = bool(report.note_to_student) and report.note_to_student != before["note_to_student"]
    now_answered = report.status is ProblemStatus.ANSWERED and before["status"] is not ProblemStatus.ANSWERED
    if new_note or now_answered:
        student = report.student
        queue_email(
            session,
            template="problem_answered",
            to=student.email,
            student=student,
            context={**_context(report, student), "answer": report.note_to_student or NO_NOTE_ANSWER},
        )
    return report


def student_problem_reports(session: Session, student: Student) -> list[ProblemReport]:
    """The student's reports, newest first (one statement)."""
    return list(
        session.scalars(
            select(ProblemReport)
            .where(ProblemReport.student_id == student.id)
            .order_by(ProblemReport.created_at.desc(), ProblemReport.id.desc())
        )
    )


def screenshots_for(session: Session, report_ids: list[int]) -> dict[int, list[Document]]:
    """Screenshots grouped by report, in the order they were attached (one statement)."""
    grouped: dict[int, list[Document]] = {report_id: [] for report_id in report_ids}
    if report_ids:
        for document in session.scalars(
            select(Document)
            .where(Document.problem_report_id.in_(report_ids), Document.deleted_at.is_(None))
            .order_by(Document.id)
        ):
            grouped[document.problem_report_id].append(document)
    return grouped


def open_report_count(session: Session) -> int:
    """How many reports wait for support: new or in progress (one statement)."""
    return session.scalar(
        select(func.count()).select_from(ProblemReport).where(ProblemReport.status.in_(OPEN_STATUSES))
    )


def report_queue(session: Session, status: ProblemStatus | None, *, page: int, per_page: int) -> tuple[list, int]:
    """A page of the queue, oldest first, with its total: reports in ``status``, or the open ones (two statements and
    the assignees and students)."""
    conditions = [ProblemReport.status == status] if status else [ProblemReport.status.in_(OPEN_STATUSES)]
    total = session.scalar(select(func.count()).select_from(ProblemReport).where(*conditions))
    reports = list(
        session.scalars(
            select(ProblemReport)
            .where(*conditions)
            .order_by(ProblemReport.created_at, ProblemReport.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
            .options(selectinload(ProblemReport.assigned_to), selectinload(ProblemReport.student))
        )
    )
    return reports, total


def problem_report(session: Session, report_id: int) -> ProblemReport | None:
    """One report by its number, or None."""
    return session.get(ProblemReport, report_id)


def support_staff(session: Session) -> list[User]:
    """Whom a report can be assigned to: support staff still active, by name."""
    return list(
        session.scalars(
            select(User)
            .where(User.role == Role.SUPPORT, User.deactivated_at.is_(None))
            .order_by(User.display_name, User.id)
        )
    )


def staff_member(session: Session, user_id: int) -> User | None:
    """The user a report is to be assigned to, by id, or None (``update_problem_report`` refuses one not in support)."""
    return session.get(User, user_id)
