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

from portal.models import PasswordResetRequest, utcnow
from portal.services.accounts import answer_password_reset
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
    return session.scalar(
        select(PasswordResetRequest.id).where(PasswordResetRequest.email == email,
                                              PasswordResetRequest.answered_at > now - RESEND_AFTER).limit(1)
    ) is not None  # fmt: skip


def _answer(session: Session, address: str, now: datetime) -> bool:
    """Email ``address`` the answer unless it had one in the last minute; whether it did."""
    return not _emailed_recently(session, address, now) and answer_password_reset(session, address, now=now)


def answer_reset_requests(session: Session, *, limit: int = 20, now: datetime | None = None) -> int:
    """Answer up to ``limit`` waiting requests, oldest first, and forget those that no longer hold back a repeat;
    returns how many it took. On PostgreSQL several workers never take the same request."""
    now = now or utcnow()
    query = (select(PasswordResetRequest).where(PasswordResetRequest.answered_at.is_(None))
             .order_by(PasswordResetRequest.id).limit(limit))  # fmt: skip
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
