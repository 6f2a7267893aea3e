"""The daily sweep: the notices and portal accounts the timeline's dated marks call for (DESIGN rules 1, 5, 15, 16).

It reads ``timeline_marks`` (kept current on every flush by portal.services.timelines) for the marks that fall
within the catch-up window, computes those students' timelines on the day, and queues each notice once per
(student, notice, date, what it is about) through OutboxEmail.dedupe_key. It also creates the portal accounts
whose day has come (rule 1). Before it reads the marks, it recomputes everyone's once when older rules computed
them (``timeline.MARKS_VERSION``): the marks of students whose records did not change would otherwise stay stale.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.mail.outbox import insert_new_emails
from portal.models import Student, TimelineMark, User
from portal.services.accounts import create_account_if_due
from portal.services.actors import Actor
from portal.services.errors import DomainError
from portal.services.timeline import MarkKind, Timeline, timeline_for
from portal.services.timeline.database import load_facts, refresh_stale_marks
from portal.worker.notice_claims import WORDS, Claim, Untrue, count_started_on, done_duties, duty_done

log = logging.getLogger("portal.worker")

# A worker that was down catches up on notices at most this many days late (counted from the day a notice is
# announced: an unemployment threshold reached before a late approval is announced on the approval day); older
# ones are not sent.
CATCH_UP_DAYS = 7
# The daily sweep works through the students with a mark in the window this many at a time.
SWEEP_CHUNK = 1000

# Which mark starts which notice. ACCOUNT_DUE starts no notice of its own: the account service queues its email.
MARK_TEMPLATES = {
    MarkKind.UNEMPLOYMENT_REACHED: "unemployment_warning",
    MarkKind.OPT_ENDED: "opt_ended",
    MarkKind.ACCESS_ENDING: "access_ending",
    MarkKind.ACCESS_CLOSED: "access_ended",
    MarkKind.DUTY_REMINDER: "stem_validation_due",
}
SWEPT_MARKS = (*MARK_TEMPLATES, MarkKind.ACCOUNT_DUE)


# --- The daily sweep --------------------------------------------------------------------------------------


def _students_with_marks(session: Session, first_day: date, today: date) -> Iterator[list[int]]:
    """The ids of students with a swept mark in the window, SWEEP_CHUNK at a time, in id order (one statement each)."""
    marks = TimelineMark.__table__.c
    last_id = 0
    while True:
        ids = list(
            session.scalars(
                select(marks.student_id)
                .distinct()
                .where(
                    marks.kind.in_([str(kind) for kind in SWEPT_MARKS]),
                    marks.starts_on >= first_day,
                    marks.starts_on <= today,
                    marks.student_id > last_id,
                )
                .order_by(marks.student_id)
                .limit(SWEEP_CHUNK)
            )
        )
        if not ids:
            return
        yield ids
        last_id = ids[-1]


def _marks_of(session: Session, ids: list[int], first_day: date, today: date) -> dict[int, list]:
    """The swept marks in the window, and every unemployment threshold reached before it (a late approval can
    announce one: ``_announced_on``)."""
    marks = TimelineMark.__table__.c
    found: dict[int, list] = defaultdict(list)
    for row in session.execute(
        select(marks.student_id, marks.kind, marks.starts_on, marks.detail)
        .where(
            marks.student_id.in_(ids),
            marks.kind.in_([str(kind) for kind in SWEPT_MARKS]),
            or_(marks.starts_on >= first_day, marks.kind == str(MarkKind.UNEMPLOYMENT_REACHED)),
            marks.starts_on <= today,
        )
        .order_by(marks.student_id, marks.starts_on, marks.kind, marks.detail)
    ):
        found[row.student_id].append(row)
    return found


def _announced_on(timeline: Timeline, reached_on: date) -> date:
    """The day an unemployment threshold is announced: the day the count reaches it, or, when the OPT was approved
    after that day (the count shows from the approval, rule 1), the approval day. The words still name the day
    it was reached."""
    shown_from = timeline.account_due_on
    return max(reached_on, shown_from) if shown_from is not None else reached_on


def _claims(timeline: Timeline, marks: list, first_day: date) -> list[Claim]:
    """The notices a student's marks in the window call for, before their words are checked."""
    claims: list[Claim] = []
    student_id = timeline.student_id
    reached = [
        mark
        for mark in marks
        if mark.kind == MarkKind.UNEMPLOYMENT_REACHED and _announced_on(timeline, mark.starts_on) >= first_day
    ]
    if reached and count_started_on(timeline) is not None:
        # The highest threshold announced in the window, once (the lower ones would only repeat it).
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


def _sweep_chunk(session: Session, ids: list[int], first_day: date, today: date) -> tuple[int, list[int]]:
    """Queue the chunk's notices in a constant number of statements; returns (queued, students whose account is due)."""
    marks = _marks_of(session, ids, first_day, today)
    facts = load_facts(session, ids)
    students = {
        row.id: row
        for row in session.execute(
            select(Student.id, Student.email, Student.given_name, Student.surname, Student.school_id)
            .where(Student.id.in_(ids))
            .order_by(Student.id)
        )
    }
    with_account = set(session.scalars(select(User.student_id).where(User.student_id.in_(ids))))
    any_duty = any(mark.kind == MarkKind.DUTY_REMINDER for rows in marks.values() for mark in rows)
    done = done_duties(session, ids) if any_duty else {}
    rows, accounts_due = [], []
    for student_id in ids:
        if student_id not in students or student_id not in facts:
            continue
        timeline = timeline_for(facts[student_id], today)
        student_marks = marks.get(student_id, [])
        if (
            any(mark.kind == MarkKind.ACCOUNT_DUE for mark in student_marks)
            and student_id not in with_account
            and timeline.account_due_on is not None
            and timeline.account_due_on <= today
            and not timeline.access.closed
        ):
            accounts_due.append(student_id)
        student = students[student_id]
        for claim in _claims(timeline, student_marks, first_day):
            try:
                context = WORDS[claim.template](timeline, facts[student_id], claim)
            except Untrue:
                continue  # never queued: the timeline contradicts it today
            if claim.template == "stem_validation_due" and duty_done(claim, timeline, done.get(student_id, [])):
                continue
            rows.append(
                {
                    "template": claim.template,
                    "to": student.email,
                    "student_id": student_id,
                    "school_id": student.school_id,
                    "dedupe_key": claim.key,
                    "due_on": claim.due_on,
                    "context": {"student_name": f"{student.given_name} {student.surname}".strip(), **context},
                }
            )
    return insert_new_emails(session, rows), accounts_due


def _create_due_accounts(session: Session, student_ids: list[int], today: date) -> int:
    """DESIGN rule 1: the portal account on the OPT's start date (each in a savepoint, so one conflict skips one)."""
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
    refreshed = refresh_stale_marks(session)
    if refreshed is not None:
        # A warning: the level that reaches the worker's output without any logging set up, and an operator wants
        # to know why this sweep took longer.
        log.warning(
            "Timeline marks were computed by rules version %s; recomputed the marks of %d students (%d marks) with "
            "version %d before the daily sweep.",
            refreshed.from_version,
            refreshed.students,
            refreshed.marks,
            refreshed.to_version,
        )
    first_day = today - timedelta(days=CATCH_UP_DAYS)
    queued = 0
    for ids in _students_with_marks(session, first_day, today):
        chunk_queued, accounts_due = _sweep_chunk(session, ids, first_day, today)
        queued += chunk_queued
        if accounts_due:
            queued += _create_due_accounts(session, accounts_due, today)
    return queued
