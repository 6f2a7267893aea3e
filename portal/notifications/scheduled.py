"""Scheduled notices, created by the worker once a minute and re-checked just before sending (issue 6, point 3).

Each notice is queued once per (student, notice, due date) through OutboxEmail.dedupe_key. Just
before delivery, RECHECKS asks the records and the event history whether it is still true; when it
is not (the school recorded the change, an employer was reported, the OPT was extended) the email is
cancelled and the cancellation is an event. This is the guard against the incident in seed 000.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from portal.models import Employer, Event, OptAuthorization, OutboxEmail, ProgramRecord, ReportingObligation, Student
from portal.models.enums import ObligationKind, OptKind, OptStatus
from portal.notifications.delivery import RECHECKS
from portal.notifications.outbox import queue_email
from portal.services.clock import add_months, today_eastern

# A school must record what the student reported; students hear about it this many days before it is due.
REPORTING_REMINDER_DAYS = 3
STUDENT_REPORTED = (ObligationKind.ADDRESS_CHANGE, ObligationKind.CONTACT_CHANGE, ObligationKind.EMPLOYER_CHANGE)
STEM_REMINDER_DAYS = 30
ACCESS_MONTHS_AFTER_OPT = 6  # DESIGN rule 5
ACCESS_ENDING_DAYS = 30
# A worker that was down catches up on notices at most this many days late; older ones are not sent.
CATCH_UP_DAYS = 7
UNEMPLOYMENT_THRESHOLDS = (60, 80)  # and the limit itself (DESIGN rule 16)

KIND_WORDS = {
    ObligationKind.ADDRESS_CHANGE: "address change",
    ObligationKind.CONTACT_CHANGE: "contact details change",
    ObligationKind.EMPLOYER_CHANGE: "employer change",
}


def long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def notice_key(template: str, student_id: int, due_on: date, detail: object = "") -> str:
    """The idempotence key: one notice per student, notice kind and due date (plus what it is about)."""
    return f"{template}:{student_id}:{due_on.isoformat()}" + (f":{detail}" if detail != "" else "")


def _insert_notice(session: Session, *, template: str, student: Student, key: str, due_on: date, context: dict) -> bool:
    try:
        with session.begin_nested():
            queue_email(session, template=template, to=student.email, student=student, dedupe_key=key, due_on=due_on,
                        context={"student_name": student.full_name, **context})  # fmt: skip
    except IntegrityError:
        return False
    return True


def _queue_new(session: Session, notices: list[dict]) -> int:
    """Queue the notices whose keys are not in the outbox yet: one query per 500 keys, then one insert each."""
    existing: set[str] = set()
    keys = [notice["key"] for notice in notices]
    for start in range(0, len(keys), 500):
        existing.update(session.scalars(select(OutboxEmail.dedupe_key).where(OutboxEmail.dedupe_key.in_(keys[start:start + 500]))))
    return sum(_insert_notice(session, **notice) for notice in notices if notice["key"] not in existing)


# --- "Your school has not yet recorded required reporting" ----------------------------------------


def _obligation_id(email: OutboxEmail) -> int | None:
    try:
        return int((email.dedupe_key or "").rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return None


def recorded_in_history(session: Session, obligation_id: int) -> Event | None:
    """The event that shows the school recorded the obligation, if the history has one (rule 8: DSOs confirm here)."""
    return session.scalar(
        select(Event).where(Event.subject == f"obligation:{obligation_id}", Event.event_type == "obligation.completed").limit(1)
    )


def queue_reporting_reminders(session: Session, today: date) -> int:
    """Tell students whose reported change the school has not recorded, a few days before it is due."""
    obligations = session.scalars(
        select(ReportingObligation)
        .options(selectinload(ReportingObligation.student))
        .where(
            ReportingObligation.open_condition(),
            ReportingObligation.kind.in_(STUDENT_REPORTED),
            ReportingObligation.due_on <= today + timedelta(days=REPORTING_REMINDER_DAYS),
            ReportingObligation.due_on >= today - timedelta(days=CATCH_UP_DAYS),
        )
    ).all()
    recorded = _recorded_in_history(session, [obligation.id for obligation in obligations])
    return _queue_new(session, [
        {"template": "reporting_not_recorded", "student": obligation.student, "due_on": obligation.due_on,
         "key": notice_key("reporting_not_recorded", obligation.student_id, obligation.due_on, obligation.id),
         "context": {"reported_on": long_date(obligation.window_opens_on or obligation.created_at.date()),
                     "what": KIND_WORDS.get(obligation.kind, "change"), "due_on": long_date(obligation.due_on)}}
        for obligation in obligations if obligation.id not in recorded
    ])  # fmt: skip


def _recorded_in_history(session: Session, obligation_ids: list[int]) -> set[int]:
    """Which of these obligations the event history shows recorded, in one query per 500."""
    recorded: set[int] = set()
    for start in range(0, len(obligation_ids), 500):
        subjects = [f"obligation:{i}" for i in obligation_ids[start:start + 500]]
        for subject in session.scalars(select(Event.subject).where(Event.event_type == "obligation.completed",
                                                                   Event.subject.in_(subjects))):  # fmt: skip
            recorded.add(int(subject.split(":", 1)[1]))
    return recorded


def _recheck_reporting_not_recorded(session: Session, email: OutboxEmail) -> str | None:
    obligation_id = _obligation_id(email)
    obligation = session.get(ReportingObligation, obligation_id) if obligation_id is not None else None
    if obligation is None:
        return "The reporting this notice is about no longer exists."
    if obligation.completed_at is not None or recorded_in_history(session, obligation.id) is not None:
        return "The school has recorded this reporting (see the event history); the notice would be wrong."
    return None


# --- STEM validation report due in 30 days ------------------------------------------------------


def queue_stem_validation_reminders(session: Session, today: date) -> int:
    """Remind STEM OPT students 30 days before each open validation report is due."""
    obligations = session.scalars(
        select(ReportingObligation).options(selectinload(ReportingObligation.student)).where(
            ReportingObligation.open_condition(),
            ReportingObligation.kind == ObligationKind.STEM_VALIDATION,
            ReportingObligation.due_on <= today + timedelta(days=STEM_REMINDER_DAYS),
            ReportingObligation.due_on > today + timedelta(days=STEM_REMINDER_DAYS - CATCH_UP_DAYS),
        )
    ).all()
    return _queue_new(session, [
        {"template": "stem_validation_due", "student": obligation.student, "due_on": obligation.due_on,
         "key": notice_key("stem_validation_due", obligation.student_id, obligation.due_on, obligation.id),
         "context": {"due_on": long_date(obligation.due_on)}}
        for obligation in obligations
    ])  # fmt: skip


def _recheck_stem_validation_due(session: Session, email: OutboxEmail) -> str | None:
    obligation_id = _obligation_id(email)
    obligation = session.get(ReportingObligation, obligation_id) if obligation_id is not None else None
    if obligation is None or not obligation.is_open or recorded_in_history(session, obligation.id):
        return "The validation report was already recorded or is no longer required."
    if latest_approved_opt_end(session, email.student_id, kind=OptKind.STEM) is None:
        return "The student no longer has an approved STEM OPT."
    return None


# --- OPT ended, access ends in 30 days, access ended ---------------------------------------------


def latest_approved_opt_end(session: Session, student_id: int, *, kind: OptKind | None = None) -> date | None:
    query = (
        select(func.max(OptAuthorization.end_date))
        .join(ProgramRecord, ProgramRecord.id == OptAuthorization.program_record_id)
        .where(ProgramRecord.student_id == student_id, OptAuthorization.status == OptStatus.APPROVED)
    )
    if kind is not None:
        query = query.where(OptAuthorization.kind == kind)
    return session.scalar(query)


def access_until(opt_end: date) -> date:
    """Read-only access lasts until six months after the OPT end date (rule 5)."""
    return add_months(opt_end, ACCESS_MONTHS_AFTER_OPT)


def queue_access_notices(session: Session, today: date) -> int:
    """OPT ended, access ends in 30 days, access ended: each once, on its day (or a few days late after downtime)."""
    latest_end = func.max(OptAuthorization.end_date).label("opt_end")
    rows = session.execute(
        select(ProgramRecord.student_id, latest_end)
        .join(OptAuthorization, OptAuthorization.program_record_id == ProgramRecord.id)
        .where(OptAuthorization.status == OptStatus.APPROVED)
        .group_by(ProgramRecord.student_id)
        .having(and_(latest_end < today, latest_end >= add_months(today, -ACCESS_MONTHS_AFTER_OPT) - timedelta(days=CATCH_UP_DAYS)))
    ).all()
    students = {s.id: s for s in session.scalars(select(Student).where(Student.id.in_([r.student_id for r in rows])))}
    notices = []
    for student_id, opt_end in rows:
        student, until = students[student_id], access_until(opt_end)
        if opt_end < today <= opt_end + timedelta(days=CATCH_UP_DAYS):
            notices.append({"template": "opt_ended", "student": student, "due_on": opt_end,
                            "key": notice_key("opt_ended", student_id, opt_end),
                            "context": {"opt_end": long_date(opt_end), "access_until": long_date(until)}})  # fmt: skip
        ending_from = until - timedelta(days=ACCESS_ENDING_DAYS)
        if ending_from <= today < min(until, ending_from + timedelta(days=CATCH_UP_DAYS)):
            notices.append({"template": "access_ending", "student": student, "due_on": until,
                            "key": notice_key("access_ending", student_id, until),
                            "context": {"access_until": long_date(until)}})  # fmt: skip
        if until <= today < until + timedelta(days=CATCH_UP_DAYS):
            notices.append({"template": "access_ended", "student": student, "due_on": until,
                            "key": notice_key("access_ended", student_id, until),
                            "context": {"access_until": long_date(until)}})  # fmt: skip
    return _queue_new(session, notices)


def _recheck_opt_ended(session: Session, email: OutboxEmail) -> str | None:
    if latest_approved_opt_end(session, email.student_id) != email.due_on:
        return "The student's OPT dates changed (for example an approved extension); the OPT has not ended then."
    return None


def _recheck_access(session: Session, email: OutboxEmail) -> str | None:
    opt_end = latest_approved_opt_end(session, email.student_id)
    if opt_end is None or access_until(opt_end) != email.due_on:
        return "The student's OPT dates changed, so access does not end on that date any more."
    return None


# --- Unemployment warnings -----------------------------------------------------------------------


def unemployment_status(session: Session, student_ids: list[int], today: date) -> dict[int, tuple[int, int, date]]:
    """{student id: (days used, days allowed, first OPT start)} for students with an approved OPT, in two queries.

    The count is the student issue's rule (portal.services.unemployment), the same the dashboard shows.
    """
    from portal.services.unemployment import unemployment_days

    opts = session.execute(
        select(ProgramRecord.student_id, OptAuthorization)
        .join(OptAuthorization, OptAuthorization.program_record_id == ProgramRecord.id)
        .where(ProgramRecord.student_id.in_(student_ids), OptAuthorization.status == OptStatus.APPROVED)
    ).all()
    jobs = session.execute(
        select(Employer.student_id, Employer.start_date, Employer.end_date)
        .where(Employer.student_id.in_(student_ids), Employer.deleted_at.is_(None))
    ).all()
    authorizations, employment = defaultdict(list), defaultdict(list)
    for student_id, opt in opts:
        authorizations[student_id].append(opt)
    for job in jobs:
        employment[job.student_id].append(job)
    status = {}
    for student_id, student_opts in authorizations.items():
        days = unemployment_days(student_opts, employment[student_id], today=today)
        status[student_id] = (days.used, days.allowed, min(opt.start_date for opt in student_opts))
    return status


def _threshold(days_used: int, allowed: int) -> int | None:
    crossed = [limit for limit in (*UNEMPLOYMENT_THRESHOLDS, allowed) if days_used >= limit]
    return max(crossed) if crossed else None


def queue_unemployment_warnings(session: Session, today: date) -> int:
    """Warn students on OPT today whose unemployment days reach 60, 80 and the limit (the highest one crossed, once)."""
    students = session.scalars(
        select(Student)
        .join(ProgramRecord, ProgramRecord.student_id == Student.id)
        .join(OptAuthorization, OptAuthorization.program_record_id == ProgramRecord.id)
        .where(OptAuthorization.status == OptStatus.APPROVED, OptAuthorization.start_date <= today,
               OptAuthorization.end_date >= today)  # fmt: skip
        .distinct()
    ).all()
    status = unemployment_status(session, [student.id for student in students], today)
    notices = []
    for student in students:
        if student.id not in status:
            continue
        days_used, allowed, first_opt = status[student.id]
        threshold = _threshold(days_used, allowed)
        if threshold is None:
            continue
        notices.append({"template": "unemployment_warning", "student": student, "due_on": first_opt,
                        "key": notice_key("unemployment_warning", student.id, first_opt, threshold),
                        "context": {"days_used": threshold, "days_allowed": allowed}})  # fmt: skip
    return _queue_new(session, notices)


def _recheck_unemployment(session: Session, email: OutboxEmail) -> str | None:
    threshold = int((email.dedupe_key or "0").rsplit(":", 1)[-1] or 0) if email.dedupe_key else 0
    days_used = unemployment_status(session, [email.student_id], today_eastern()).get(email.student_id, (0, 0, None))[0]
    if days_used < threshold:
        return f"The student now has {days_used} unemployment days (an employer was reported), below {threshold}."
    return None


RECHECKS.update({
    "reporting_not_recorded": _recheck_reporting_not_recorded,
    "stem_validation_due": _recheck_stem_validation_due,
    "opt_ended": _recheck_opt_ended,
    "access_ending": _recheck_access,
    "access_ended": _recheck_access,
    "unemployment_warning": _recheck_unemployment,
})  # fmt: skip


def create_due_notices(session: Session, today: date | None = None, *, daily: bool = True) -> int:
    """Queue every reminder and access notice due ``today`` (US Eastern), once each; returns how many were queued.

    ``daily`` includes the unemployment warnings, which read every student on OPT: the worker runs
    them once a day, the cheap date-indexed notices every minute.
    """
    today = today or today_eastern()
    queued = (queue_reporting_reminders(session, today) + queue_stem_validation_reminders(session, today)
              + queue_access_notices(session, today))  # fmt: skip
    if daily:
        queued += queue_unemployment_warnings(session, today)
    return queued
