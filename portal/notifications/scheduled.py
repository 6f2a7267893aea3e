"""Scheduled notices: found each day from the timeline's dated marks, re-checked against the timeline on the day they
are sent (DESIGN rules 1, 5, 11, 15, 16; issue 11).

The daily sweep reads ``timeline_marks`` (kept current on every flush by portal.services.timeline.database) for the
marks that fall within the catch-up window, computes those students' timelines on the day, and queues each
notice once per (student, notice, date, what it is about) through OutboxEmail.dedupe_key. It also creates
the portal accounts whose day has come (rule 1). Just before delivery, RECHECKS recomputes the student's
timeline on the send day and cancels the email (an event says why) when the timeline contradicts what it
says: the guard against the incident in seed 000.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import String, cast, exists, literal, select
from sqlalchemy.orm import Session, selectinload

from portal.models import Event, OutboxEmail, ReportingObligation, Student, TimelineMark, User
from portal.models.enums import ObligationKind
from portal.notifications.catalog import render
from portal.notifications.delivery import RECHECKS
from portal.notifications.digests import queue_digests
from portal.notifications.outbox import insert_new_emails, without_office
from portal.services.clock import long_date, today_eastern
from portal.services.errors import DomainError
from portal.services.obligations import DUTY_OBLIGATIONS
from portal.services.timeline import DutyKind, DutyState, MarkKind, StudentFacts, Timeline, timeline_for
from portal.services.timeline.database import load_facts

log = logging.getLogger("portal.notifications")

# A school must record what the student reported; students hear about it this many days before it is due.
REPORTING_REMINDER_DAYS = 3
STUDENT_REPORTED = (ObligationKind.ADDRESS_CHANGE, ObligationKind.CONTACT_CHANGE, ObligationKind.EMPLOYER_CHANGE)
# A worker that was down catches up on notices at most this many days late; older ones are not sent.
CATCH_UP_DAYS = 7
# The daily sweep works through the students with a mark in the window this many at a time.
SWEEP_CHUNK = 1000

KIND_WORDS = {
    ObligationKind.ADDRESS_CHANGE: "address change",
    ObligationKind.CONTACT_CHANGE: "contact details change",
    ObligationKind.EMPLOYER_CHANGE: "employer change",
}

# Which mark starts which notice. ACCOUNT_DUE starts no notice of its own: the account service queues its email.
MARK_TEMPLATES = {
    MarkKind.UNEMPLOYMENT_REACHED: "unemployment_warning",
    MarkKind.OPT_ENDED: "opt_ended",
    MarkKind.ACCESS_ENDING: "access_ending",
    MarkKind.ACCESS_CLOSED: "access_ended",
    MarkKind.DUTY_REMINDER: "stem_validation_due",
}
SWEPT_MARKS = (*MARK_TEMPLATES, MarkKind.ACCOUNT_DUE)


def notice_key(template: str, student_id: int, due_on: date, detail: object = "") -> str:
    """The idempotence key: one notice per student, notice kind and date (plus what it is about)."""
    return f"{template}:{student_id}:{due_on.isoformat()}" + (f":{detail}" if detail != "" else "")


@dataclass(frozen=True)
class Claim:
    """What a notice asserts, as its dedupe key and due date carry it.

    ``keyed_on`` is the key's date; ``due_on`` the date the email is about. They differ only for the
    unemployment warning, keyed on the start of the count (one warning per threshold and count) and
    due on the day the count reached the threshold.
    """

    template: str
    student_id: int
    keyed_on: date
    due_on: date
    detail: str = ""

    @property
    def key(self) -> str:
        return notice_key(self.template, self.student_id, self.keyed_on, self.detail)

    @classmethod
    def of(cls, email: OutboxEmail) -> Claim | None:
        try:
            template, student_id, keyed_on, *detail = (email.dedupe_key or "").split(":", 3)
            return cls(template, int(student_id), date.fromisoformat(keyed_on), email.due_on or date.fromisoformat(keyed_on),
                       detail[0] if detail else "")  # fmt: skip
        except ValueError:
            return None


class Untrue(Exception):
    """The notice's claim is contradicted by the student's timeline on the day; the message says how."""


# --- What each notice says, from the timeline on the day (the same at queueing and at sending) ------------


def _unemployment_words(timeline: Timeline, facts: StudentFacts, claim: Claim) -> dict:
    """DESIGN rule 16: the count reached the threshold on the day named, is still counting, and did not restart."""
    threshold, count = int(claim.detail), timeline.unemployment
    if count_started_on(timeline) != claim.keyed_on:
        raise Untrue("The student's unemployment count restarted with another OPT (a transfer or change of level).")
    if count.used < threshold:
        raise Untrue(f"The student has {count.used} unemployment days, below {threshold}.")
    if not count.counting:
        raise Untrue("The student's unemployment days are not counting: no OPT is in validity today.")
    before = timeline_for(facts, claim.due_on - timedelta(days=1)).unemployment.used
    reached = timeline_for(facts, claim.due_on).unemployment.used
    if not before < threshold <= reached:
        raise Untrue(f"The count did not reach {threshold} on {long_date(claim.due_on)}: the records changed.")
    if threshold > count.allowed:
        raise Untrue(f"The student is allowed {count.allowed} days, fewer than {threshold}.")
    return {"days_used": threshold, "days_allowed": count.allowed, "reached_on": long_date(claim.due_on)}


def _opt_ended_words(timeline: Timeline, facts: StudentFacts, claim: Claim) -> dict:
    """DESIGN rule 5: the OPT ended on that day, no timely STEM extension runs, and read-only access continues."""
    extension = timeline.extension
    if extension is not None and timeline.today <= extension.until:
        raise Untrue("A timely STEM OPT extension is pending: work authorization continues (up to 180 days).")
    if timeline.opt_ended_on != claim.due_on or timeline.today <= claim.due_on:
        raise Untrue(f"The student's OPT did not end on {long_date(claim.due_on)}: it is still valid or its dates "
                     "changed.")  # fmt: skip
    if timeline.access.closed or timeline.access.read_only_until is None:
        raise Untrue("The student's access does not continue after the OPT end.")
    return {"opt_end": long_date(claim.due_on), "access_until": long_date(timeline.access.read_only_until)}


def _access_ending_words(timeline: Timeline, facts: StudentFacts, claim: Claim) -> dict:
    """DESIGN rule 5: read-only access ends on that day and has not closed yet."""
    access = timeline.access
    if access.closes_on is None or access.read_only_until != claim.due_on:
        raise Untrue(f"The student's access no longer ends on {long_date(claim.due_on)}: the OPT dates changed or a "
                     "STEM extension is pending.")  # fmt: skip
    if access.closed:
        raise Untrue("The student's access has already closed.")
    return {"access_until": long_date(access.read_only_until), "closes_on": long_date(access.closes_on)}


def _access_ended_words(timeline: Timeline, facts: StudentFacts, claim: Claim) -> dict:
    """DESIGN rule 5: sent on the day access closes, never before."""
    access = timeline.access
    if access.closes_on is None or access.read_only_until != claim.due_on:
        raise Untrue(f"The student's access does not end on {long_date(claim.due_on)}: the OPT dates changed or a "
                     "STEM extension is pending.")  # fmt: skip
    if not access.closed:
        raise Untrue(f"The student's access closes on {long_date(access.closes_on)}, not yet.")
    return {"access_until": long_date(access.read_only_until), "closes_on": long_date(access.closes_on),
            "opt_end": long_date(access.opt_end)}  # fmt: skip


def _duty_words(timeline: Timeline, facts: StudentFacts, claim: Claim) -> dict:
    """DESIGN rule 15: the STEM duty is on the timeline with that due date, and open (not closed, not overdue)."""
    kind, _, months = claim.detail.partition(":")
    duty = next((duty for duty in timeline.duties if duty.kind == kind and str(duty.months or "") == months
                 and duty.due_on == claim.due_on), None)  # fmt: skip
    if duty is None:
        raise Untrue("The STEM duty is no longer on the student's timeline with that due date.")
    if duty.state is DutyState.CLOSED:
        raise Untrue(f"The STEM duty closed: {duty.closed_reason}")
    if duty.state is not DutyState.OPEN:
        raise Untrue(f"The STEM duty is {duty.state.value}, not open.")
    return {"duty": str(duty.kind), "months": duty.months or 0, "due_on": long_date(duty.due_on)}


WORDS: dict[str, Callable[[Timeline, StudentFacts, Claim], dict]] = {
    "unemployment_warning": _unemployment_words,
    "opt_ended": _opt_ended_words,
    "access_ending": _access_ending_words,
    "access_ended": _access_ended_words,
    "stem_validation_due": _duty_words,
}


def count_started_on(timeline: Timeline) -> date | None:
    """The first day of the current program's count: the key that makes each threshold one email per count."""
    return timeline.account_due_on


# --- The daily sweep --------------------------------------------------------------------------------------


def _students_with_marks(session: Session, first_day: date, today: date) -> Iterator[list[int]]:
    """The ids of students with a swept mark in the window, SWEEP_CHUNK at a time, in id order (one statement each)."""
    marks = TimelineMark.__table__.c
    last_id = 0
    while True:
        ids = list(session.scalars(
            select(marks.student_id).distinct()
            .where(marks.kind.in_([str(kind) for kind in SWEPT_MARKS]), marks.starts_on >= first_day,
                   marks.starts_on <= today, marks.student_id > last_id)
            .order_by(marks.student_id).limit(SWEEP_CHUNK)
        ))  # fmt: skip
        if not ids:
            return
        yield ids
        last_id = ids[-1]


def _marks_of(session: Session, ids: list[int], first_day: date, today: date) -> dict[int, list]:
    marks = TimelineMark.__table__.c
    found: dict[int, list] = defaultdict(list)
    for row in session.execute(
        select(marks.student_id, marks.kind, marks.starts_on, marks.detail)
        .where(marks.student_id.in_(ids), marks.kind.in_([str(kind) for kind in SWEPT_MARKS]),
               marks.starts_on >= first_day, marks.starts_on <= today)
        .order_by(marks.student_id, marks.starts_on, marks.kind, marks.detail)
    ):  # fmt: skip
        found[row.student_id].append(row)
    return found


def _claims(timeline: Timeline, marks: list) -> list[Claim]:
    """The notices a student's marks in the window call for, before their words are checked."""
    claims: list[Claim] = []
    student_id = timeline.student_id
    reached = [mark for mark in marks if mark.kind == MarkKind.UNEMPLOYMENT_REACHED]
    if reached and count_started_on(timeline) is not None:
        # The highest threshold reached in the window, once (the lower ones would only repeat it).
        top = max(reached, key=lambda mark: int(mark.detail))
        claims.append(Claim("unemployment_warning", student_id, count_started_on(timeline), top.starts_on, top.detail))
    for mark in marks:
        if mark.kind in (MarkKind.ACCESS_ENDING, MarkKind.ACCESS_CLOSED, MarkKind.OPT_ENDED):
            about = date.fromisoformat(mark.detail)
            claims.append(Claim(MARK_TEMPLATES[MarkKind(mark.kind)], student_id, about, about))
        elif mark.kind == MarkKind.DUTY_REMINDER:
            kind, _, months = mark.detail.partition(":")
            for duty in timeline.duties:
                if duty.kind == kind and str(duty.months or "") == months and duty.opens_on == mark.starts_on:
                    claims.append(Claim("stem_validation_due", student_id, duty.due_on, duty.due_on, mark.detail))
    return claims


def _done_duties(session: Session, ids: list[int]) -> dict[int, list[tuple]]:
    """The STEM obligations no longer waiting, by student: recorded by the school (completed, or an
    "obligation.completed" event), closed, or already answered by the student."""
    obligation = ReportingObligation.__table__.c
    recorded = exists().where(Event.student_id == obligation.student_id, Event.event_type == "obligation.completed",
                              Event.subject == literal("obligation:") + cast(obligation.id, String))  # fmt: skip
    done: dict[int, list[tuple]] = defaultdict(list)
    for row in session.execute(
        select(obligation.student_id, obligation.kind, obligation.window_opens_on, obligation.due_on)
        .where(obligation.student_id.in_(ids), obligation.kind.in_(list(DUTY_OBLIGATIONS.values())),
               obligation.completed_at.is_not(None) | obligation.closed_at.is_not(None)
               | obligation.submitted_at.is_not(None) | recorded)
        .order_by(obligation.student_id, obligation.due_on)
    ):  # fmt: skip
        done[row.student_id].append((row.kind, row.window_opens_on, row.due_on))
    return done


def _duty_done(claim: Claim, timeline: Timeline, done: list[tuple]) -> bool:
    kind, _, months = claim.detail.partition(":")
    obligation_kind = DUTY_OBLIGATIONS.get(DutyKind(kind))
    for duty in timeline.duties:
        if duty.kind == kind and str(duty.months or "") == months and duty.due_on == claim.due_on:
            return any(done_kind == obligation_kind and (opens or due - timedelta(days=60)) <= duty.mark <= due
                       for done_kind, opens, due in done)  # fmt: skip
    return False


def _sweep_chunk(session: Session, ids: list[int], first_day: date, today: date) -> tuple[int, list[int]]:
    """Queue the chunk's notices in a constant number of statements; returns (queued, students whose account is due)."""
    marks = _marks_of(session, ids, first_day, today)
    facts = load_facts(session, ids)
    students = {row.id: row for row in session.execute(
        select(Student.id, Student.email, Student.given_name, Student.surname, Student.school_id)
        .where(Student.id.in_(ids)).order_by(Student.id))}  # fmt: skip
    with_account = set(session.scalars(select(User.student_id).where(User.student_id.in_(ids))))
    any_duty = any(mark.kind == MarkKind.DUTY_REMINDER for rows in marks.values() for mark in rows)
    done = _done_duties(session, ids) if any_duty else {}
    rows, accounts_due = [], []
    for student_id in ids:
        if student_id not in students or student_id not in facts:
            continue
        timeline = timeline_for(facts[student_id], today)
        student_marks = marks.get(student_id, [])
        if (any(mark.kind == MarkKind.ACCOUNT_DUE for mark in student_marks) and student_id not in with_account
                and timeline.account_due_on is not None and timeline.account_due_on <= today
                and not timeline.access.closed):  # fmt: skip
            accounts_due.append(student_id)
        student = students[student_id]
        for claim in _claims(timeline, student_marks):
            try:
                context = WORDS[claim.template](timeline, facts[student_id], claim)
            except Untrue:
                continue  # never queued: the timeline contradicts it today
            if claim.template == "stem_validation_due" and _duty_done(claim, timeline, done.get(student_id, [])):
                continue
            rows.append({"template": claim.template, "to": student.email, "student_id": student_id,
                         "school_id": student.school_id, "dedupe_key": claim.key, "due_on": claim.due_on,
                         "context": {"student_name": f"{student.given_name} {student.surname}".strip(), **context}})  # fmt: skip
    return insert_new_emails(session, rows), accounts_due


def _create_due_accounts(session: Session, student_ids: list[int], today: date) -> int:
    """DESIGN rule 1: the portal account on the OPT's start date (each in a savepoint, so one conflict skips one)."""
    from portal.services.accounts import create_account_if_due
    from portal.services.actors import Actor

    created = 0
    system = Actor.system("Daily notices")
    for student in session.scalars(select(Student).where(Student.id.in_(student_ids)).order_by(Student.id)):
        try:
            with session.begin_nested():
                created += create_account_if_due(session, student, actor=system, today=today) is not None
        except DomainError as error:  # e.g. another account uses the address: the DSO sees it on the record
            log.warning("Portal account for student %s not created: %s", student.id, error)
    return created


def sweep_timeline_marks(session: Session, today: date) -> int:
    """Queue the notices and create the accounts the timeline marks call for on ``today``; returns emails queued."""
    first_day = today - timedelta(days=CATCH_UP_DAYS)
    queued = 0
    for ids in _students_with_marks(session, first_day, today):
        chunk_queued, accounts_due = _sweep_chunk(session, ids, first_day, today)
        queued += chunk_queued
        if accounts_due:
            queued += _create_due_accounts(session, accounts_due, today)
    return queued


# --- "Your school has not yet recorded required reporting" (the records, not the timeline) ---------------


def recorded_in_history(session: Session, obligation_id: int) -> Event | None:
    """The event that shows the school recorded the obligation, if the history has one (rule 8: DSOs confirm here)."""
    return session.scalar(
        select(Event).where(Event.subject == f"obligation:{obligation_id}", Event.event_type == "obligation.completed").limit(1)
    )


def _recorded_in_history(session: Session, obligation_ids: list[int]) -> set[int]:
    """Which of these obligations the event history shows recorded, in one query per 500."""
    recorded: set[int] = set()
    for start in range(0, len(obligation_ids), 500):
        subjects = [f"obligation:{i}" for i in obligation_ids[start:start + 500]]
        for subject in session.scalars(select(Event.subject).where(Event.event_type == "obligation.completed",
                                                                   Event.subject.in_(subjects))):  # fmt: skip
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
    return insert_new_emails(session, [
        {"template": "reporting_not_recorded", "to": obligation.student.email, "student_id": obligation.student_id,
         "school_id": obligation.student.school_id, "due_on": obligation.due_on,
         "dedupe_key": notice_key("reporting_not_recorded", obligation.student_id, obligation.due_on, obligation.id),
         "context": {"student_name": obligation.student.full_name,
                     "reported_on": long_date(obligation.window_opens_on or obligation.created_at.date()),
                     "what": KIND_WORDS.get(obligation.kind, "change"), "due_on": long_date(obligation.due_on)}}
        for obligation in obligations if obligation.id not in recorded
    ])  # fmt: skip


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
    if email.template == "stem_validation_due" and _duty_done(claim, timeline, _done_duties(session, [claim.student_id])
                                                                .get(claim.student_id, [])):  # fmt: skip
        return "The school recorded this STEM duty as done."
    student = session.get(Student, claim.student_id)
    subject, text, _html = render(email.template, {"student_name": student.full_name, **context,
                                                   "reference_code": email.reference_code})  # fmt: skip
    if subject != email.subject or text != without_office(email.body_text):
        return "The student's records changed since this notice was queued; it no longer says what the timeline says."
    return None


def _recheck_account_creation(session: Session, email: OutboxEmail) -> str | None:
    """DESIGN rule 1: "your OPT was approved, create your account" only once an approved OPT's start has come."""
    if email.student_id is None:
        return None
    from portal.services.timeline.database import student_timeline

    due_on = student_timeline(session, email.student_id, today_eastern()).account_due_on
    if due_on is None:
        return "The student no longer has an approved OPT, so the account-creation email would be wrong."
    if due_on > today_eastern():
        return f"The student's OPT starts on {long_date(due_on)}; the account-creation email goes out then."
    return None


RECHECKS.update({
    "reporting_not_recorded": _recheck_reporting_not_recorded,
    "account_creation": _recheck_account_creation,
    **{template: _recheck_against_timeline for template in WORDS},
})  # fmt: skip


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

