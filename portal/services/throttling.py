"""Sign-in throttling without dead ends: 5 failures cool the account down, 15 minutes doubling; never permanent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from portal.models import User, utcnow
from portal.notifications.outbox import queue_email
from portal.services.actors import Actor
from portal.services.clock import EASTERN
from portal.services.events import record_event

FAILURES_BEFORE_LOCK = 5
FIRST_COOL_DOWN = timedelta(minutes=15)
LONGEST_COOL_DOWN = timedelta(hours=24)


@dataclass(frozen=True)
class SignInOutcome:
    locked_until: datetime | None = None
    just_locked: bool = False


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def cool_down_for(lock_count: int) -> timedelta:
    """15 minutes for the first lock, doubling for each further one, capped at a day (no lock is permanent)."""
    return min(FIRST_COOL_DOWN * (2 ** min(max(lock_count - 1, 0), 16)), LONGEST_COOL_DOWN)


def record_failed_sign_in(session: Session, user: User, *, reason: str = "wrong_password",
                          now: datetime | None = None) -> SignInOutcome:  # fmt: skip
    """Count a failed sign-in (one event); the fifth in a row locks the account for its cool-down (an event and one email)."""
    now = now or utcnow()
    actor = Actor.for_user(user)
    if is_locked(user, now):
        record_event(session, actor, "sign_in.failed", student=user.student, user=user, subject=f"user:{user.id}",
                     after={"reason": "locked"})  # fmt: skip
        session.flush()
        return SignInOutcome(locked_until=user.locked_until)
    user.failed_sign_ins += 1
    record_event(session, actor, "sign_in.failed", student=user.student, user=user, subject=f"user:{user.id}",
                 after={"reason": reason, "consecutive_failures": user.failed_sign_ins})  # fmt: skip
    if user.failed_sign_ins < FAILURES_BEFORE_LOCK:
        session.flush()
        return SignInOutcome()
    user.lock_count += 1
    user.failed_sign_ins = 0
    user.locked_until = now + cool_down_for(user.lock_count)
    record_event(session, Actor.system(), "account.locked", student=user.student, user=user, subject=f"user:{user.id}",
                 after={"locked_until": user.locked_until, "lock_count": user.lock_count})  # fmt: skip
    _notify_locked(session, user)
    session.flush()
    return SignInOutcome(locked_until=user.locked_until, just_locked=True)


def _notify_locked(session: Session, user: User) -> None:
    """One email per lock: when sign-in opens again (US Eastern) and how to unlock sooner."""
    until = user.locked_until.astimezone(EASTERN)
    queue_email(session, template="account_locked", to=user.email, student=user.student, user=user,
                school_id=user.school_id,
                context={"name": user.display_name or user.email, "is_student": user.student is not None,
                         "locked_until": f"{until:%B} {until.day}, {until.year} at {until:%-I:%M %p %Z}"})  # fmt: skip


def record_successful_sign_in(session: Session, user: User, *, now: datetime | None = None) -> None:
    """Clear the failure counters and write the sign-in event."""
    now = now or utcnow()
    user.failed_sign_ins = 0
    user.lock_count = 0
    user.locked_until = None
    user.last_sign_in_at = now
    record_event(session, Actor.for_user(user), "sign_in.succeeded", student=user.student, user=user,
                 subject=f"user:{user.id}")  # fmt: skip
    session.flush()


def clear_lock(user: User) -> bool:
    """Reset the counters; True when the account was locked (the caller writes the unlock event)."""
    was_locked = is_locked(user)
    user.failed_sign_ins = 0
    user.lock_count = 0
    user.locked_until = None
    return was_locked
