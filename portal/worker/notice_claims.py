"""What a timeline notice claims, and the words it says: taken from the student's timeline on the day, the same when
the daily sweep queues it and when delivery re-checks it on the send day (DESIGN rules 5, 15, 16; issue 11)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import String, cast, exists, literal, select
from sqlalchemy.orm import Session

from portal.models import Event, OutboxEmail, ReportingObligation
from portal.models.enums import ProgramStatus
from portal.services.clock import long_date
from portal.services.obligations import DUTY_OBLIGATIONS
from portal.services.timeline import DutyKind, DutyState, StudentFacts, Timeline, timeline_for


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
            return cls(
                template,
                int(student_id),
                date.fromisoformat(keyed_on),
                email.due_on or date.fromisoformat(keyed_on),
                detail[0] if detail else "",
            )
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
        raise Untrue(
            f"The student's OPT did not end on {long_date(claim.due_on)}: it is still valid or its dates changed."
        )
    if timeline.access.closed or timeline.access.read_only_until is None:
        raise Untrue("The student's access does not continue after the OPT end.")
    return {"opt_end": long_date(claim.due_on), "access_until": long_date(timeline.access.read_only_until)}


def _access_ending_words(timeline: Timeline, facts: StudentFacts, claim: Claim) -> dict:
    """DESIGN rule 5: read-only access ends on that day and has not closed yet."""
    access = timeline.access
    if access.closes_on is None or access.read_only_until != claim.due_on:
        raise Untrue(
            f"The student's access no longer ends on {long_date(claim.due_on)}: the OPT dates changed or a "
            "STEM extension is pending."
        )
    if access.closed:
        raise Untrue("The student's access has already closed.")
    return {
        "extension_ended": _extension_ran_out(timeline),
        "access_until": long_date(access.read_only_until),
        "closes_on": long_date(access.closes_on),
        "opt_end": long_date(access.opt_end),
    }


def _extension_ran_out(timeline: Timeline) -> bool:
    """Access is counted from the last day of a STEM request's extension, the request still pending (rule 5)."""
    return timeline.extension is not None and timeline.access.opt_end == timeline.extension.until


def _access_ended_words(timeline: Timeline, facts: StudentFacts, claim: Claim) -> dict:
    """DESIGN rule 5: sent on the day access closes, never before; a terminated record closed on the day it ended."""
    access = timeline.access
    if timeline.program is not None and timeline.program.status is ProgramStatus.TERMINATED:
        if not access.closed or timeline.program.completed_on != claim.due_on or timeline.today < claim.due_on:
            raise Untrue(f"The student's program record was not terminated on {long_date(claim.due_on)}.")
        return {"terminated": True, "closes_on": long_date(claim.due_on), "access_until": "", "opt_end": ""}
    if access.closes_on is None or access.read_only_until != claim.due_on:
        raise Untrue(
            f"The student's access does not end on {long_date(claim.due_on)}: the OPT dates changed or a "
            "STEM extension is pending."
        )
    if not access.closed:
        raise Untrue(f"The student's access closes on {long_date(access.closes_on)}, not yet.")
    return {
        "terminated": False,
        "extension_ended": _extension_ran_out(timeline),
        "access_until": long_date(access.read_only_until),
        "closes_on": long_date(access.closes_on),
        "opt_end": long_date(access.opt_end),
    }


def _duty_words(timeline: Timeline, facts: StudentFacts, claim: Claim) -> dict:
    """DESIGN rule 15: the STEM duty is on the timeline with that due date, and open (not closed, not overdue)."""
    kind, _, months = claim.detail.partition(":")
    duty = next(
        (
            duty
            for duty in timeline.duties
            if duty.kind == kind and str(duty.months or "") == months and duty.due_on == claim.due_on
        ),
        None,
    )
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


def done_duties(session: Session, ids: list[int]) -> dict[int, list[tuple]]:
    """The STEM obligations no longer waiting, by student: recorded by the school (completed, or an
    "obligation.completed" event), closed, or already answered by the student."""
    obligation = ReportingObligation.__table__.c
    recorded = exists().where(
        Event.student_id == obligation.student_id,
        Event.event_type == "obligation.completed",
        Event.subject == literal("obligation:") + cast(obligation.id, String),
    )
    done: dict[int, list[tuple]] = defaultdict(list)
    for row in session.execute(
        select(obligation.student_id, obligation.kind, obligation.window_opens_on, obligation.due_on)
        .where(
            obligation.student_id.in_(ids),
            obligation.kind.in_(list(DUTY_OBLIGATIONS.values())),
            obligation.completed_at.is_not(None)
            | obligation.closed_at.is_not(None)
            | obligation.submitted_at.is_not(None)
            | recorded,
        )
        .order_by(obligation.student_id, obligation.due_on)
    ):
        done[row.student_id].append((row.kind, row.window_opens_on, row.due_on))
    return done


def duty_done(claim: Claim, timeline: Timeline, done: list[tuple]) -> bool:
    """Whether one of the student's done obligations (``done_duties``) answers the STEM duty this claim is about."""
    kind, _, months = claim.detail.partition(":")
    obligation_kind = DUTY_OBLIGATIONS.get(DutyKind(kind))
    for duty in timeline.duties:
        if duty.kind == kind and str(duty.months or "") == months and duty.due_on == claim.due_on:
            return any(
                done_kind == obligation_kind and (opens or due - timedelta(days=60)) <= duty.mark <= due
                for done_kind, opens, due in done
            )
    return False
