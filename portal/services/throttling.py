"""Sign-in throttling that tells nobody anything and locks nobody out for good (DESIGN rule 18, issue 14).

Failures are counted per typed address and per client (IP), in ``sign_in_throttles`` rows keyed by an HMAC,
whether or not an account has that address: a known, an unknown and a paused address run the same statements.
Five failures in a row pause the address for 15 minutes, doubling for each further pause, never over a day;
30 failures from one client within an hour pause that client for 15 minutes. The sign-in page says the same
for every failure; only the owner hears of a pause, by one email when it starts (none while it runs).
A completed password reset ends the address's pause; see ``passes_client_pause`` for the client's.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal.mail.outbox import queue_email
from portal.models import SignInThrottle, User, utcnow
from portal.services.actors import Actor
from portal.services.clock import long_moment
from portal.services.events import record_event

FAILURES_BEFORE_LOCK = 5
FIRST_COOL_DOWN = timedelta(minutes=15)
LONGEST_COOL_DOWN = timedelta(hours=24)
# An address's count is forgotten after a quiet day (a pause never lasts longer, so none is cut short).
ADDRESS_FAILURES_FORGOTTEN_AFTER = timedelta(hours=24)
# One client spraying many addresses: a campus shares an IP, so the bar is higher and the pause does not grow.
CLIENT_FAILURES_BEFORE_LOCK = 30
CLIENT_COOL_DOWN = timedelta(minutes=15)
CLIENT_FAILURES_FORGOTTEN_AFTER = timedelta(hours=1)
# A password set this recently (through a reset or creation link, or by the signed-in owner) passes a paused client.
FRESH_PASSWORD_PASSES_CLIENT_PAUSE_FOR = timedelta(minutes=30)

_TABLE = SignInThrottle.__table__


@dataclass(frozen=True)
class SignInOutcome:
    locked_until: datetime | None = None
    just_locked: bool = False


@dataclass(frozen=True)
class Pauses:
    """Whether a typed address and the client are paused now (read once per attempt)."""

    address: bool
    client: bool


def is_locked(user: User, now: datetime | None = None) -> bool:
    """The account's address is paused (the users row mirrors its address's pause for officials' views)."""
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def cool_down_for(lock_count: int) -> timedelta:
    """15 minutes for the first lock, doubling for each further one, capped at a day (no lock is permanent)."""
    return min(FIRST_COOL_DOWN * (2 ** min(max(lock_count - 1, 0), 16)), LONGEST_COOL_DOWN)


def normalized_address(email: str | None) -> str:
    return (email or "").strip().lower()


def throttle_key(kind: str, value: str) -> str:
    """The row key for an address or a client: an HMAC, so the table holds no address and no IP."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def read_pauses(session: Session, address: str, client: str | None, *, now: datetime) -> Pauses:
    """One statement for any address: which of the address and the client are paused now."""
    address_key = throttle_key("address", address)
    client_key = throttle_key("client", client) if client else None
    keys = [address_key] + ([client_key] if client_key else [])
    rows = session.execute(
        select(_TABLE.c.key, _TABLE.c.locked_until).where(_TABLE.c.key.in_(keys)).order_by(_TABLE.c.key)
    ).all()
    paused = {key for key, until in rows if until is not None and until > now}
    return Pauses(address=address_key in paused, client=client_key in paused)


def passes_client_pause(user: User | None, now: datetime) -> bool:
    """The owner who just proved their mailbox (a reset) gets past a paused client, e.g. a shared campus IP."""
    changed = user.password_changed_at if user is not None else None
    return changed is not None and changed > now - FRESH_PASSWORD_PASSES_CLIENT_PAUSE_FOR


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _count(session: Session, key: str, *, limit: int, forgotten_after: timedelta, cool_down, now: datetime):
    """Count one failure for ``key`` in one atomic statement (none while paused); the pause's end when it trips."""
    paused = _TABLE.c.locked_until > now
    quiet = _TABLE.c.last_failure_at <= now - forgotten_after
    statement = _insert(session)(_TABLE).values(
        key=key, failures=1, lock_count=0, locked_until=None, last_failure_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=[_TABLE.c.key],
        set_={
            "failures": case((paused, _TABLE.c.failures), (quiet, 1), else_=_TABLE.c.failures + 1),
            "lock_count": case((quiet, 0), else_=_TABLE.c.lock_count),
            "last_failure_at": now,
        },
    ).returning(_TABLE.c.failures, _TABLE.c.lock_count, _TABLE.c.locked_until)
    failures, lock_count, locked_until = session.execute(statement).one()
    if failures < limit or (locked_until is not None and locked_until > now):
        return None, lock_count
    until = now + cool_down(lock_count + 1)
    # The guard keeps two racing requests from pausing twice.
    session.execute(
        update(_TABLE)
        .where(_TABLE.c.key == key, _TABLE.c.failures >= limit)
        .values(failures=0, lock_count=_TABLE.c.lock_count + 1, locked_until=until)
    )
    return until, lock_count + 1


def record_failed_attempt(
    session: Session,
    *,
    address: str,
    client: str | None,
    user: User | None,
    reason: str = "wrong_password",
    now: datetime | None = None,
    cool_down: Callable[[int], timedelta] = cool_down_for,
) -> SignInOutcome:
    """Count a failed sign-in for the address and the client, the same statements whether ``user`` exists or not.

    One event each time; when the address's pause starts, the users row mirrors it for officials, and an
    account's owner gets the one email and history entry of that pause (the only work an unknown address skips,
    and nothing the person signing in sees). ``cool_down`` gives a pause's length from its number (the demo's
    lock waits for a DSO); the email and the event say the end the pause was given.
    """
    now = now or utcnow()
    address_key = throttle_key("address", address)
    until, lock_count = _count(
        session,
        address_key,
        limit=FAILURES_BEFORE_LOCK,
        forgotten_after=ADDRESS_FAILURES_FORGOTTEN_AFTER,
        cool_down=cool_down,
        now=now,
    )
    if client:
        _count(
            session,
            throttle_key("client", client),
            limit=CLIENT_FAILURES_BEFORE_LOCK,
            forgotten_after=CLIENT_FAILURES_FORGOTTEN_AFTER,
            cool_down=lambda _count: CLIENT_COOL_DOWN,
            now=now,
        )
    if user is not None:
        actor, subject = Actor.for_user(user), f"user:{user.id}"
    else:
        actor, subject = Actor.system("Sign-in page"), f"address:{address_key[:16]}"
    record_event(
        session,
        actor,
        "sign_in.failed",
        student=user.student if user is not None else None,
        user=user,
        subject=subject,
        after={"reason": reason},
    )
    if until is None:
        session.flush()
        return SignInOutcome()
    session.execute(
        update(User)
        .where(User.email == address)
        .values(locked_until=until, lock_count=lock_count)
        .execution_options(synchronize_session=False)
    )
    if user is not None:
        set_committed_value(user, "locked_until", until)
        set_committed_value(user, "lock_count", lock_count)
        record_event(
            session,
            Actor.system(),
            "account.locked",
            student=user.student,
            user=user,
            subject=subject,
            after={"locked_until": until, "lock_count": lock_count},
        )
        _notify_locked(session, user)
    session.flush()
    return SignInOutcome(locked_until=until, just_locked=True)


def record_failed_sign_in(
    session: Session,
    user: User,
    *,
    reason: str = "wrong_password",
    now: datetime | None = None,
    cool_down: Callable[[int], timedelta] = cool_down_for,
) -> SignInOutcome:
    """A wrong code or password from a signed-in step (MFA): counts toward the pause of the account's address."""
    now = now or utcnow()
    if is_locked(user, now):
        record_event(
            session,
            Actor.for_user(user),
            "sign_in.failed",
            student=user.student,
            user=user,
            subject=f"user:{user.id}",
            after={"reason": "locked"},
        )
        session.flush()
        return SignInOutcome(locked_until=user.locked_until)
    return record_failed_attempt(
        session, address=user.email, client=None, user=user, reason=reason, now=now, cool_down=cool_down
    )


def _notify_locked(session: Session, user: User) -> None:
    """One email per pause, when it starts (none while it runs): when sign-in opens again and how to unlock sooner."""
    queue_email(
        session,
        template="account_locked",
        to=user.email,
        student=user.student,
        user=user,
        school_id=user.school_id,
        context={
            "name": user.display_name or user.email,
            "is_student": user.student is not None,
            "locked_until": long_moment(user.locked_until),
        },
    )


def _forget_address(session: Session, user: User) -> None:
    session.execute(delete(_TABLE).where(_TABLE.c.key == throttle_key("address", normalized_address(user.email))))


def record_successful_sign_in(session: Session, user: User, *, now: datetime | None = None) -> None:
    """Clear the address's count and pause (not the client's) and write the sign-in event."""
    now = now or utcnow()
    _forget_address(session, user)
    user.failed_sign_ins = 0
    user.lock_count = 0
    user.locked_until = None
    user.last_sign_in_at = now
    record_event(
        session, Actor.for_user(user), "sign_in.succeeded", student=user.student, user=user, subject=f"user:{user.id}"
    )
    session.flush()


def clear_lock(session: Session, user: User) -> bool:
    """End the pause of the account's address (a reset, a DSO's unlock); True when it was paused (the caller writes
    the unlock event)."""
    was_locked = is_locked(user)
    _forget_address(session, user)
    user.failed_sign_ins = 0
    user.lock_count = 0
    user.locked_until = None
    return was_locked
