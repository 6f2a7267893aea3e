"""Choosing a new password: checked against the policy, the current password and the one before it, from a link or
signed in (rules 1, 7, 12, 18).

Every change ends the user's other sessions and emails them a notice.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.mail.outbox import queue_email
from portal.models import AccountLink, PasswordHistory, User, utcnow
from portal.services.account_links import link_problem, void_open_links
from portal.services.actors import Actor
from portal.services.errors import InvalidValue, RuleBroken
from portal.services.events import record_event
from portal.services.password_policy import HISTORY_DEPTH, check_new_password
from portal.services.passwords import hash_password, hashing_slot, normalize_password, verify_password
from portal.services.sessions import end_all_sessions
from portal.services.throttling import clear_lock


def _earlier_hashes(session: Session, user: User) -> list[str]:
    """The stored hashes before the current one that a new password may not repeat, newest first."""
    return list(
        session.scalars(
            select(PasswordHistory.password_hash)
            .where(PasswordHistory.user_id == user.id)
            .order_by(PasswordHistory.id.desc())
            .limit(HISTORY_DEPTH - 1)
        )
    )


def _checked_new_hash(session: Session, user: User, password: str, *, current_password: str | None = None) -> str:
    """The hash of an accepted new password for ``user``; refuses a wrong ``current_password`` (when the form asks
    for it) and a password the policy refuses.

    Every argon2 run the change needs happens here, in one hashing slot, before anything is written: a busy server
    (HashingBusy) refuses the change whole, leaving the old password, the forced-change flag and every session as
    they were. The current password typed in the same form and verified is compared as text, not hashed again.
    """
    password = normalize_password(password or "")
    earlier = _earlier_hashes(session, user)  # read first: a slot is held only while hashing
    with hashing_slot():
        if current_password is not None and not verify_password(user.password_hash, current_password):
            raise InvalidValue("That is not your current password.", field="current_password")
        check_new_password(
            password,
            sevis_id=user.student.sevis_id if user.student else None,
            email=user.email,
            site_name=current_app.config["SITE_NAME"],
            current_password=current_password,
            current_hash=user.password_hash,
            earlier_hashes=earlier,
        )
        return hash_password(password)


def _set_password(session: Session, user: User, new_hash: str, *, now: datetime) -> None:
    if user.password_hash:
        session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))
    user.password_hash = new_hash
    user.password_changed_at = now
    session.flush()
    # An old hash no check reads is only something to leak (people reuse passwords elsewhere): keep what is checked.
    unread = session.scalars(
        select(PasswordHistory.id)
        .where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.id.desc())
        .offset(HISTORY_DEPTH - 1)
    ).all()
    if unread:
        session.execute(delete(PasswordHistory).where(PasswordHistory.id.in_(unread)))


def _notify_password_changed(session: Session, user: User) -> None:
    queue_email(
        session,
        template="password_changed",
        to=user.email,
        student=user.student,
        user=user,
        school_id=user.school_id,
        context={"name": user.display_name or user.email},
    )


def set_password_from_link(session: Session, link: AccountLink, password: str) -> Actor:
    """Set the password, spend ``link`` and void the user's other open links, unlock; the user as the actor."""
    user = link.user
    new_hash = _checked_new_hash(session, user, password)
    now = utcnow()
    _set_password(session, user, new_hash, now=now)
    link.used_at = now
    void_open_links(session, user, now=now)
    actor = Actor.for_user(user)
    if clear_lock(session, user):
        record_event(session, actor, "account.unlocked", student=user.student, user=user, subject=f"user:{user.id}")
    return actor


def after_password_reset(session: Session, user: User, actor: Actor) -> None:
    """A reset password: the event, every session ended, and the notice to the user."""
    record_event(session, actor, "password.reset_completed", student=user.student, user=user, subject=f"user:{user.id}")
    end_all_sessions(session, user, actor=actor, reason="password_reset")
    _notify_password_changed(session, user)


def complete_password_reset(session: Session, link: AccountLink, *, password: str) -> User:
    """Set a new password from a reset link: unlocks, ends every session, emails a notice; refuses a bad link."""
    problem = link_problem(link)
    if problem:
        raise RuleBroken(problem)
    user = link.user
    after_password_reset(session, user, set_password_from_link(session, link, password))
    session.flush()
    return user


def change_password(session: Session, user: User, *, current_password: str, new_password: str, keep=None) -> None:
    """Change a signed-in user's password; ends their other sessions; refuses a wrong current password."""
    new_hash = _checked_new_hash(session, user, new_password, current_password=current_password or "")
    _set_password(session, user, new_hash, now=utcnow())
    actor = Actor.for_user(user)
    record_event(session, actor, "password.changed", student=user.student, user=user, subject=f"user:{user.id}")
    end_all_sessions(session, user, actor=actor, reason="password_changed", keep=keep)
    _notify_password_changed(session, user)
    session.flush()
