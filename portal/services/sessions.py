"""Server-side sign-in sessions: the cookie holds a random id, the row decides (issue 3 point 8)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from portal.models import ProgramRecord, Student, User, UserSession, utcnow
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.events import record_event

IDLE_TIMEOUT = {Role.STUDENT: timedelta(minutes=30)}
OFFICIAL_IDLE_TIMEOUT = timedelta(minutes=15)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# Writing last_seen_at on every request would be a write per page; a minute's slack is harmless.
_TOUCH_EVERY = timedelta(seconds=60)


def hash_session_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_timeout_for(user: User) -> timedelta:
    return IDLE_TIMEOUT.get(user.role, OFFICIAL_IDLE_TIMEOUT)


def start_session(
    session: Session, user: User, *, user_agent: str = "", now: datetime | None = None
) -> tuple[UserSession, str]:
    """Open a new session for ``user`` and return it with the random token for the cookie."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = UserSession(
        token_hash=hash_session_token(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        user_agent=(user_agent or "")[:255],
    )
    session.add(row)
    session.flush()
    return row, token


# Built once: building and keying this statement on every request cost more than running it.
_LIVE_SESSION = (
    select(UserSession)
    .options(
        joinedload(UserSession.user)
        .joinedload(User.student)
        .joinedload(Student.program_records)
        .joinedload(ProgramRecord.opt_authorizations),
        # The school's office contact, for the "how to reach your DSO" block on the student pages (issue 13).
        joinedload(UserSession.user).joinedload(User.student).joinedload(Student.school),
    )
    .where(UserSession.token_hash == bindparam("token_hash"), UserSession.ended_at.is_(None))
    # A session that outlives one request (the test client reuses its app context) reads afresh too.
    .execution_options(populate_existing=True)
)


def session_for_token(session: Session, token: str | None, *, now: datetime | None = None) -> UserSession | None:
    """The live session for a cookie token, or None; ends it when idle or open too long (the caller commits).

    One statement brings the session, its user and, for a student, the student record with its program
    records and OPTs: what every page needs (the student pages decide access from them).
    """
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    row = session.scalars(_LIVE_SESSION, {"token_hash": hash_session_token(token)}).unique().one_or_none()
    if row is None:
        return None
    now = now or utcnow()
    user = row.user
    if user is None or not user.is_active:
        return _end(row, now, "account_deactivated")
    if now - row.created_at >= ABSOLUTE_TIMEOUT:
        return _end(row, now, "absolute_timeout")
    if now - row.last_seen_at >= idle_timeout_for(user):
        return _end(row, now, "idle_timeout")
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
    return row


def _end(row: UserSession, now: datetime, reason: str) -> None:
    row.ended_at = now
    row.ended_reason = reason
    return None


def end_session(session: Session, row: UserSession, *, reason: str = "signed_out") -> None:
    """End one session (sign out); does nothing for a session already ended."""
    if row.ended_at is None:
        _end(row, utcnow(), reason)
        session.flush()


def end_all_sessions(
    session: Session, user: User, *, actor: Actor, reason: str, keep: UserSession | None = None
) -> int:
    """End every open session of ``user`` except ``keep``; one event when any was open. Refuses nothing."""
    now = utcnow()
    query = select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    rows = list(session.scalars(query))
    for row in rows:
        _end(row, now, reason)
    if rows:
        record_event(
            session,
            actor,
            "sessions.ended",
            student=user.student,
            user=user,
            after={"sessions": len(rows), "reason": reason},
            subject=f"user:{user.id}",
        )
    session.flush()
    return len(rows)
