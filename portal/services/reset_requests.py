"""Self-service reset requests (rule 7): the page records the typed address; the worker answers it by email.

The page does the same work for every address, with or without an account: it adds one row and gives one answer,
so neither the answer, its timing nor its SQL says whether an account exists. The worker then emails the reset link
(or a new account-creation link for an unfinished account), or, to an address no active account uses, a note saying
so, which also helps a person who forgot which address their account uses. At most one email a minute goes to an
address, whichever kind it is.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.mail.outbox import queue_email
from portal.models import AccountLink, PasswordResetRequest, User, utcnow
from portal.models.enums import LinkPurpose
from portal.services.account_links import issue_link, void_open_links
from portal.services.accounts import send_creation_link
from portal.services.actors import Actor
from portal.services.events import record_event
from portal.services.officials import reissue_invitation
from portal.services.validation import clean_email

log = logging.getLogger("portal.reset_requests")

RESEND_AFTER = timedelta(minutes=1)


def record_reset_request(session: Session, email: str | None) -> PasswordResetRequest:
    """Queue a reset request for ``email``, whoever it belongs to; refuses only a value that is not an email address."""
    request = PasswordResetRequest(email=clean_email(email, field="email", required=True), requested_at=utcnow())
    session.add(request)
    session.flush()
    return request


def _emailed_recently(session: Session, email: str, now: datetime) -> bool:
    return (
        session.scalar(
            select(PasswordResetRequest.id)
            .where(PasswordResetRequest.email == email, PasswordResetRequest.answered_at > now - RESEND_AFTER)
            .limit(1)
        )
        is not None
    )


def _answer(session: Session, address: str, now: datetime) -> bool:
    """Email ``address`` the answer unless it had one in the last minute; whether it did."""
    return not _emailed_recently(session, address, now) and answer_password_reset(session, address, now=now)


def answer_reset_requests(session: Session, *, limit: int = 20, now: datetime | None = None) -> int:
    """Answer up to ``limit`` waiting requests, oldest first, and forget those that no longer hold back a repeat;
    returns how many it took. On PostgreSQL several workers never take the same request."""
    now = now or utcnow()
    query = (
        select(PasswordResetRequest)
        .where(PasswordResetRequest.answered_at.is_(None))
        .order_by(PasswordResetRequest.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    waiting = list(session.scalars(query))
    if not waiting:
        return 0
    for request in waiting:
        address, emailed = request.email, False
        try:
            with session.begin_nested():
                emailed = _answer(session, address, now)
        except Exception:  # noqa: BLE001  (one request that cannot be answered must not hold up the rest, or the email)
            log.exception("Could not answer password-reset request %s; dropped (the person can ask again)", request.id)
        if emailed:
            request.answered_at = now  # kept for a minute: it holds back another email to this address
            session.flush()
        else:
            session.delete(request)
    session.execute(delete(PasswordResetRequest).where(PasswordResetRequest.answered_at < now - RESEND_AFTER))
    session.flush()
    return len(waiting)


def _user_by_email(session: Session, email: str | None) -> User | None:
    """The account for a typed address; None for one no account could have (too long, control characters)."""
    address = (email or "").strip().lower()
    if not 0 < len(address) <= 254 or any(ord(char) < 32 or ord(char) == 127 for char in address):
        return None
    return session.scalar(select(User).where(User.email == address))


def _recent_link(session: Session, user: User, *, now: datetime) -> bool:
    return (
        session.scalar(
            select(AccountLink.id)
            .where(AccountLink.user_id == user.id, AccountLink.created_at > now - RESEND_AFTER)
            .limit(1)
        )
        is not None
    )


def answer_password_reset(session: Session, email: str, *, now: datetime | None = None) -> bool:
    """Email the answer to a reset request (answer_reset_requests calls this): a 30-minute
    reset link, a new creation link for an unfinished account, or, for an address no active account uses, a note
    saying so. Sends nothing when the account had a link in the last minute; returns whether it queued an email."""
    now = now or utcnow()
    user = _user_by_email(session, email)
    if user is None or not user.is_active:
        address = email.strip().lower()
        queue_email(session, template="password_reset_no_account", to=address, context={"email": address})
        return True
    if _recent_link(session, user, now=now):
        return False  # one email a minute is enough
    actor = Actor.for_user(user)
    if not user.has_finished_account_creation and user.is_official:
        # An official who never set a password: a fresh invitation is the way in (they have no SEVIS ID to confirm).
        reissue_invitation(session, user, actor=actor, now=now, requested_from="password_reset")
        return True
    if not user.has_finished_account_creation:
        # No password yet: the way forward is the account-creation link, so send a fresh one.
        void_open_links(session, user, now=now)
        link = send_creation_link(session, user, user.student, template="account_creation", now=now)
        record_event(
            session,
            actor,
            "account.link_resent",
            student=user.student,
            user=user,
            subject=f"user:{user.id}",
            after={"link_expires_at": link.expires_at, "requested_from": "password_reset"},
        )
        return True
    void_open_links(session, user, now=now, purposes=(LinkPurpose.PASSWORD_RESET,))
    link = issue_link(session, user, LinkPurpose.PASSWORD_RESET, now=now)
    queue_email(
        session,
        template="password_reset",
        to=user.email,
        student=user.student,
        user=user,
        school_id=user.school_id,
        context={"name": user.display_name or user.email, "minutes_valid": 30},
        link_ref=f"account_link:{link.id}",
    )
    record_event(
        session,
        actor,
        "password.reset_requested",
        student=user.student,
        user=user,
        subject=f"user:{user.id}",
        after={"link_expires_at": link.expires_at},
    )
    session.flush()
    return True
