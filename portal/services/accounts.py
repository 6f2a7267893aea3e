"""Portal accounts (rule 1): creation from an approved OPT, finishing it from the emailed link, the DSO's reset,
resend and unlock, the attestation, and the account's state in a DSO's words.

The links themselves are in account_links.py, choosing a password in password_changes.py, sign-in in sign_in.py,
the forced change after an upgrade (rule 12) in upgrades.py.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from portal.mail.outbox import queue_email
from portal.models import AccountLink, OptAuthorization, PasswordHistory, ProgramRecord, Student, User, utcnow
from portal.models.enums import LinkPurpose, OptStatus, Role
from portal.services import mfa
from portal.services.account_links import LINK_LIFETIME, issue_link, link_problem, void_open_links
from portal.services.actors import Actor
from portal.services.clock import long_date, today_eastern
from portal.services.errors import Conflict, InvalidValue, NotFound, RuleBroken
from portal.services.events import record_event
from portal.services.password_changes import after_password_reset, set_password_from_link
from portal.services.sessions import end_all_sessions
from portal.services.throttling import clear_lock, is_locked
from portal.services.timeline.database import student_timeline
from portal.services.upgrades import must_change_password

SEVIS_ID_TRIES = 3


# ---------------------------------------------------------------- rule 1: account creation


def has_approved_opt(session: Session, student: Student) -> bool:
    return (
        session.scalar(
            select(OptAuthorization.id)
            .join(ProgramRecord)
            .where(ProgramRecord.student_id == student.id, OptAuthorization.status == OptStatus.APPROVED)
            .limit(1)
        )
        is not None
    )


def _user_for_student(session: Session, student: Student) -> User | None:
    return session.scalar(select(User).where(User.student_id == student.id))


def send_creation_link(session: Session, user: User, student: Student, *, template: str, now: datetime) -> AccountLink:
    """Issue an account-creation link for ``user`` and queue the email (``template``) that carries it."""
    link = issue_link(session, user, LinkPurpose.ACCOUNT_CREATION, now=now)
    queue_email(
        session,
        template=template,
        to=user.email,
        student=student,
        user=user,
        context={"student_name": student.full_name, "days_valid": LINK_LIFETIME[link.purpose].days},
        link_ref=f"account_link:{link.id}",
    )
    return link


def create_account_for_approved_opt(
    session: Session, student: Student, *, actor: Actor, today: date | None = None
) -> User | None:
    """Rule 1: create the student's account and email the creation link, once; None when it already exists.

    Refuses a student without an approved OPT and one whose OPT has not started yet (the daily notices
    create that account on the start date).
    """
    if _user_for_student(session, student) is not None:
        return None
    due_on = student_timeline(session, student, today or today_eastern()).account_due_on
    if due_on is None:
        raise RuleBroken("This student has no approved OPT, so there is no portal account to create yet.")
    if due_on > (today or today_eastern()):
        raise RuleBroken(
            f"The portal account is created on the OPT start date, {long_date(due_on)}: "
            "the student gets the email that day."
        )
    return _create_account(session, student, actor=actor)


def create_account_if_due(
    session: Session, student: Student, *, actor: Actor, today: date | None = None
) -> User | None:
    """Rule 1 at approval and in the daily notices: create the account once its OPT's start date has come.

    None when the account exists already or its day has not come.
    """
    if _user_for_student(session, student) is not None:
        return None
    today = today or today_eastern()
    due_on = student_timeline(session, student, today).account_due_on
    if due_on is None or due_on > today:
        return None
    return _create_account(session, student, actor=actor)


def _create_account(session: Session, student: Student, *, actor: Actor) -> User:
    if session.scalar(select(User.id).where(User.email == student.email)) is not None:
        raise Conflict(f"Another portal account already uses {student.email}; correct the student's email first.")
    now = utcnow()
    user = User(email=student.email, role=Role.STUDENT, student_id=student.id, display_name=student.full_name)
    session.add(user)
    session.flush()
    link = send_creation_link(session, user, student, template="account_creation", now=now)
    record_event(
        session,
        actor,
        "account.invited",
        student=student,
        user=user,
        subject=f"user:{user.id}",
        after={"email": user.email, "link_expires_at": link.expires_at},
    )
    session.flush()
    return user


def resend_account_creation(session: Session, student: Student, *, actor: Actor) -> AccountLink:
    """Void the unused creation link and email a new one; refuses once the account is finished."""
    user = _user_for_student(session, student)
    if user is None:
        raise NotFound("This student has no portal account yet; it is created when their OPT is approved.")
    if user.has_finished_account_creation:
        raise Conflict("The student already finished creating the account. Use Reset Portal Account instead.")
    now = utcnow()
    void_open_links(session, user, now=now)
    link = send_creation_link(session, user, student, template="account_creation", now=now)
    record_event(
        session,
        actor,
        "account.link_resent",
        student=student,
        user=user,
        subject=f"user:{user.id}",
        after={"link_expires_at": link.expires_at},
    )
    session.flush()
    return link


def unlock_account(session: Session, user: User, *, actor: Actor) -> None:
    """End a sign-in cool-down now (a DSO's unlock); refuses an account that is not locked."""
    if not is_locked(user):
        raise Conflict("This account is not locked.")
    clear_lock(session, user)
    record_event(session, actor, "account.unlocked", student=user.student, user=user, subject=f"user:{user.id}")
    session.flush()


def reset_portal_account(session: Session, student: Student, *, actor: Actor, clear_mfa: bool = False) -> AccountLink:
    """Unlock, void earlier links, email a new one, end sessions, optionally clear MFA; refuses without an approved OPT."""
    if not has_approved_opt(session, student):
        raise RuleBroken("This student has no approved OPT, so there is no portal account to reset.")
    user = _user_for_student(session, student)
    if user is None:
        create_account_for_approved_opt(session, student, actor=actor)
        user = _user_for_student(session, student)
        return session.scalar(select(AccountLink).where(AccountLink.user_id == user.id).order_by(AccountLink.id.desc()))
    now = utcnow()
    if clear_lock(session, user):
        record_event(session, actor, "account.unlocked", student=student, user=user, subject=f"user:{user.id}")
    voided = void_open_links(session, user, now=now)
    finished = user.has_finished_account_creation
    if finished:
        # DESIGN rule 1: the old password stops working; the student sets a new one through the link. It stays in
        # the history, so it cannot simply be chosen again.
        session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))
        user.password_hash = None
    link = send_creation_link(
        session, user, student, template="account_reset" if finished else "account_creation", now=now
    )
    record_event(
        session,
        actor,
        "account.reset",
        student=student,
        user=user,
        subject=f"user:{user.id}",
        after={
            "links_voided": voided,
            "link_expires_at": link.expires_at,
            "password_voided": finished,
            "mfa_cleared": bool(clear_mfa and user.mfa_enabled_at),
        },
    )
    end_all_sessions(session, user, actor=actor, reason="account_reset")
    if clear_mfa and user.mfa_secret_encrypted is not None:
        mfa.clear_mfa(session, user, actor=actor)
    session.flush()
    return link


def confirm_sevis_id(session: Session, link: AccountLink, sevis_id: str) -> None:
    """Check the SEVIS ID typed on an account-creation link; the third wrong try voids the link."""
    student = link.user.student
    typed = "".join((sevis_id or "").split()).upper()
    if student is not None and hmac.compare_digest(typed.encode(), student.sevis_id.encode()):
        return
    link.failed_confirmations += 1
    left = SEVIS_ID_TRIES - link.failed_confirmations
    if left <= 0:
        link.voided_at = utcnow()
        record_event(
            session,
            Actor.system(),
            "account.link_voided",
            student=student,
            user=link.user,
            subject=f"user:{link.user_id}",
            after={"reason": "sevis_id_wrong_three_times"},
        )
        session.flush()
        raise RuleBroken(
            "The SEVIS ID did not match three times, so this link no longer works. "
            "Ask your school's DSO to send a new one with Reset Portal Account."
        )
    session.flush()
    raise InvalidValue(
        f"That SEVIS ID does not match our records. {left} {'try' if left == 1 else 'tries'} left.", field="sevis_id"
    )


def finish_account_creation(session: Session, link: AccountLink, *, sevis_id: str | None, password: str) -> User:
    """Set the password from an account-creation link, after the SEVIS ID matches for a student (an official's
    invitation asks for none: officials have no SEVIS ID); refuses a used, void or expired link."""
    problem = link_problem(link)
    if problem:
        raise RuleBroken(problem)
    if link.user.student_id is not None:
        confirm_sevis_id(session, link, sevis_id)
    user = link.user
    # A reset voids the password but keeps when it was last set: that tells a reset from a first creation.
    was_finished = user.has_finished_account_creation or user.password_changed_at is not None
    actor = set_password_from_link(session, link, password)
    if was_finished:
        after_password_reset(session, user, actor)
    else:
        record_event(session, actor, "account.created", student=user.student, user=user, subject=f"user:{user.id}")
    session.flush()
    return user


# ---------------------------------------------------------------- the attestation


def record_attestation(session: Session, user: User) -> None:
    """The student accepts that what they report is true; one event each time."""
    user.attested_at = utcnow()
    record_event(
        session,
        Actor.for_user(user),
        "attestation.accepted",
        student=user.student,
        user=user,
        subject=f"user:{user.id}",
    )
    session.flush()


# ---------------------------------------------------------------- what a DSO sees


@dataclass(frozen=True)
class AccountAction:
    name: str
    label: str
    enabled: bool
    reason: str | None = None


@dataclass(frozen=True)
class AccountStatus:
    label: str
    locked_until: datetime | None = None
    mfa_on: bool = False
    last_sign_in_at: datetime | None = None
    available_actions: list[AccountAction] = field(default_factory=list)

    def action(self, name: str) -> AccountAction | None:
        return next((action for action in self.available_actions if action.name == name), None)


def account_status(user: User | None, *, now: datetime | None = None) -> AccountStatus:
    """The account's state in a DSO's words, and which actions apply (with why one does not)."""
    now = now or utcnow()
    if user is None:
        return AccountStatus(
            label="not created",
            available_actions=[
                AccountAction("reset", "Reset Portal Account", True),
                AccountAction("unlock", "Unlock", False, "There is no account yet."),
                AccountAction(
                    "resend",
                    "Resend account creation email",
                    False,
                    "There is no account yet; Reset Portal Account creates it.",
                ),
                AccountAction("clear_mfa", "Turn off two-step verification", False, "There is no account yet."),
            ],
        )
    locked = is_locked(user, now)
    mfa_on = user.mfa_enabled_at is not None
    session = object_session(user)
    if not user.has_finished_account_creation:
        label = "invitation sent"
    elif locked:
        label = "locked"
    elif session is not None and must_change_password(session, user):
        label = "must change password"
    else:
        label = "active"
    finished = user.has_finished_account_creation
    actions = [
        AccountAction("reset", "Reset Portal Account", True),
        AccountAction("unlock", "Unlock", locked, None if locked else "The account is not locked."),
        AccountAction(
            "resend",
            "Resend account creation email",
            not finished,
            "The student already created the account; use Reset Portal Account." if finished else None,
        ),
        AccountAction(
            "clear_mfa",
            "Turn off two-step verification",
            mfa_on,
            None if mfa_on else "Two-step verification is not turned on.",
        ),
    ]
    return AccountStatus(
        label=label,
        locked_until=user.locked_until if locked else None,
        mfa_on=mfa_on,
        last_sign_in_at=user.last_sign_in_at,
        available_actions=actions,
    )
