"""Scheduled notices: what the worker queues on its own, and the send-time re-checks that keep them true (DESIGN
rules 1, 5, 11, 15, 16; issue 11).

Once a day the sweep (portal.worker.daily_sweep) queues the timeline's notices and creates the accounts due, and
the officials' digests are queued (portal.worker.digest_notices); every minute, the reminders about reporting the
school has not recorded. Just before delivery, RECHECKS recomputes the student's timeline on the send day and
cancels the email (an event says why) when the timeline contradicts what it says: the guard against the
incident in seed 000.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.mail.catalog import render
from portal.mail.outbox import insert_new_emails, without_office
from portal.models import Event, OutboxEmail, ReportingObligation, Student
from portal.models.enums import ObligationKind
from portal.services.clock import long_date, today_eastern
from portal.services.timeline import timeline_for
from portal.services.timeline.database import load_facts, student_timeline
from portal.worker.daily_sweep import CATCH_UP_DAYS, sweep_timeline_marks
from portal.worker.digest_notices import DIGEST_TEMPLATE, queue_digests, recheck_digest
from portal.worker.notice_claims import WORDS, Claim, Untrue, done_duties, duty_done, notice_key

# A school must record what the student reported; students hear about it this many days before it is due.
REPORTING_REMINDER_DAYS = 3
STUDENT_REPORTED = (ObligationKind.ADDRESS_CHANGE, ObligationKind.CONTACT_CHANGE, ObligationKind.EMPLOYER_CHANGE)

KIND_WORDS = {
    ObligationKind.ADDRESS_CHANGE: "address change",
    ObligationKind.CONTACT_CHANGE: "contact details change",
    ObligationKind.EMPLOYER_CHANGE: "employer change",
}


# --- "Your school has not yet recorded required reporting" (the records, not the timeline) ---------------


def recorded_in_history(session: Session, obligation_id: int) -> Event | None:
    """The event that shows the school recorded the obligation, if the history has one (rule 8: DSOs confirm here)."""
    return session.scalar(
        select(Event)
        .where(Event.subject == f"obligation:{obligation_id}", Event.event_type == "obligation.completed")
        .limit(1)
    )


def _recorded_in_history(session: Session, obligation_ids: list[int]) -> set[int]:
    """Which of these obligations the event history shows recorded, in one query per 500."""
    recorded: set[int] = set()
    for start in range(0, len(obligation_ids), 500):
        subjects = [f"obligation:{i}" for i in obligation_ids[start : start + 500]]
        for subject in session.scalars(
            select(Event.subject).where(Event.event_type == "obligation.completed", Event.subject.in_(subjects))
        ):
            recorded.add(int(subject.split(":", 1)[1]))
    return recorded


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
        .order_by(ReportingObligation.id)
    ).all()
    recorded = _recorded_in_history(session, [obligation.id for obligation in obligations])
    return insert_new_emails(
        session,
        [
            {
                "template": "reporting_not_recorded",
                "to": obligation.student.email,
                "student_id": obligation.student_id,
                "school_id": obligation.student.school_id,
                "due_on": obligation.due_on,
                "dedupe_key": notice_key(
                    "reporting_not_recorded", obligation.student_id, obligation.due_on, obligation.id
                ),
                "context": {
                    "student_name": obligation.student.full_name,
                    "reported_on": long_date(obligation.window_opens_on or obligation.created_at.date()),
                    "what": KIND_WORDS.get(obligation.kind, "change"),
                    "due_on": long_date(obligation.due_on),
                },
            }
            for obligation in obligations
            if obligation.id not in recorded
        ],
    )


def _recheck_reporting_not_recorded(session: Session, email: OutboxEmail) -> str | None:
    claim = Claim.of(email)
    obligation = session.get(ReportingObligation, int(claim.detail)) if claim and claim.detail.isdigit() else None
    if obligation is None:
        return "The reporting this notice is about no longer exists."
    if not obligation.is_open or recorded_in_history(session, obligation.id) is not None:
        return "The school has recorded this reporting (see the event history); the notice would be wrong."
    return None


# --- Send-time re-checks: the timeline on the send day ---------------------------------------------------


def _recheck_against_timeline(session: Session, email: OutboxEmail) -> str | None:
    """Cancel the notice when the student's timeline on the send day contradicts it, or now says other words."""
    claim = Claim.of(email)
    if claim is None or claim.student_id != email.student_id:
        return "This notice has no key saying what it is about, so it cannot be checked."
    facts = load_facts(session, [claim.student_id])[claim.student_id]
    timeline = timeline_for(facts, today_eastern())
    try:
        context = WORDS[email.template](timeline, facts, claim)
    except Untrue as reason:
        return str(reason)
    if email.template == "stem_validation_due" and duty_done(
        claim, timeline, done_duties(session, [claim.student_id]).get(claim.student_id, [])
    ):
        return "The school recorded this STEM duty as done."
    student = session.get(Student, claim.student_id)
    subject, text, _html = render(
        email.template, {"student_name": student.full_name, **context, "reference_code": email.reference_code}
    )
    if subject != email.subject or text != without_office(email.body_text):
        return "The student's records changed since this notice was queued; it no longer says what the timeline says."
    return None


def _recheck_account_creation(session: Session, email: OutboxEmail) -> str | None:
    """DESIGN rule 1: "your OPT was approved, create your account" only once an approved OPT's start has come."""
    if email.student_id is None:
        return None
    due_on = student_timeline(session, email.student_id, today_eastern()).account_due_on
    if due_on is None:
        return "The student no longer has an approved OPT, so the account-creation email would be wrong."
    if due_on > today_eastern():
        return f"The student's OPT starts on {long_date(due_on)}; the account-creation email goes out then."
    return None


# Re-checks run just before sending: template name -> function returning why the email is no longer true (it is then
# cancelled, not sent), or None to send it. A check may also replace the email's words with ones counted now (the
# officials' digest is true at send time). Delivery reads this table; every scheduled notice has its check here.
RECHECKS: dict[str, Callable[[Session, OutboxEmail], str | None]] = {
    "reporting_not_recorded": _recheck_reporting_not_recorded,
    "account_creation": _recheck_account_creation,
    **{template: _recheck_against_timeline for template in WORDS},
    DIGEST_TEMPLATE: recheck_digest,
}


def create_due_notices(session: Session, today: date | None = None, *, daily: bool = True) -> int:
    """Queue every notice due ``today`` (US Eastern), once each, and create the accounts due; returns emails queued.

    ``daily`` includes the sweep of the timeline marks and the officials' digests (the worker runs it once a day); the reporting
    reminders, which follow what students report during the day, run every minute.
    """
    today = today or today_eastern()
    queued = queue_reporting_reminders(session, today)
    if daily:
        queued += sweep_timeline_marks(session, today)
        queued += queue_digests(session, today)
    return queued
