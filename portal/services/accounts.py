"""Portal accounts: creation from an approved OPT, one-time links, resets, unlocks, password changes (rules 1, 7, 12).

Links: the emailed token is HMAC(SECRET_KEY, "<link id>:<salt>"); only its SHA-256 is stored, and the
outbox keeps "account_link:<id>", which the resolver registered below turns into the URL at delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, object_session

from portal.mail.outbox import LINK_RESOLVERS, queue_email
from portal.models import AccountLink, OptAuthorization, PasswordHistory, ProgramRecord, Student, Upgrade, User, utcnow
from portal.models.enums import LinkPurpose, OptStatus, Role
from portal.services.access import ClosedAccount, closed_account_for
from portal.services.actors import Actor
from portal.services.clock import long_date, today_eastern
from portal.services.errors import Conflict, InvalidValue, NotFound, RuleBroken
from portal.services.events import record_event
from portal.services.password_policy import HISTORY_DEPTH, check_new_password
from portal.services.passwords import hash_password, needs_rehash, normalize_password, verify_password
from portal.services.sessions import end_all_sessions as _end_all_sessions
from portal.services.site_state import site_state
from portal.services.throttling import (
    clear_lock,
    is_locked,
    normalized_address,
    passes_client_pause,
    read_pauses,
    record_failed_attempt,
    record_successful_sign_in,
)
from portal.services.timelines import student_timeline

LINK_LIFETIME = {
    LinkPurpose.ACCOUNT_CREATION: timedelta(days=14),
    LinkPurpose.PASSWORD_RESET: timedelta(minutes=30),
}
LINK_PATH = {
    LinkPurpose.ACCOUNT_CREATION: "/account/create/",
    LinkPurpose.PASSWORD_RESET: "/password/reset/",
}
SEVIS_ID_TRIES = 3


# ---------------------------------------------------------------- one-time links


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(session: Session, user: User, purpose: LinkPurpose, *, now: datetime | None = None) -> AccountLink:
    """A new single-use link for ``user``; the token is never stored, only its hash."""
    now = now or utcnow()
    salt = secrets.token_hex(16)
    link = AccountLink(user_id=user.id, purpose=purpose, token_hash=f"pending-{salt}", salt=salt,
                       created_at=now, expires_at=now + LINK_LIFETIME[purpose])  # fmt: skip
    session.add(link)
    session.flush()
    link.token_hash = hash_token(link_token(link))
    session.flush()
    return link


def link_token(link: AccountLink) -> str:
    """The emailed token for ``link``, recomputed from the secret key (delivery and tests only)."""
    return _b64(hmac.new(current_app.config["SECRET_KEY"].encode(), f"{link.id}:{link.salt}".encode(), hashlib.sha256).digest())


def link_url(link: AccountLink) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + LINK_PATH[link.purpose] + link_token(link)


def _resolve_account_link(session: Session, link_ref: str) -> str:
    _, _, raw_id = link_ref.partition(":")
    link = session.get(AccountLink, int(raw_id))
    if link is None:
        raise LookupError(f"No account link {raw_id}")
    return link_url(link)


LINK_RESOLVERS["account_link"] = _resolve_account_link


def find_link(session: Session, token: str | None, purpose: LinkPurpose) -> AccountLink | None:
    """The link a token names (whatever its state), or None for a token we never issued."""
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    link = session.scalar(select(AccountLink).where(AccountLink.token_hash == hash_token(token)))
    if link is None or link.purpose is not purpose:
        return None
    return link


def link_problem(link: AccountLink | None, *, now: datetime | None = None) -> str | None:
    """Why a link cannot be used, in words for the page; None when it can."""
    now = now or utcnow()
    again = ("Ask your school's DSO to send a new one with Reset Portal Account, or use "
             "\"Forgot your password\" on the sign-in page.")  # fmt: skip
    if link is None:
        return "This link is not valid. Check that you opened the whole link from the email. " + again
    user = link.user
    if user.is_official:
        again = ("Ask your school's principal DSO to send the invitation again from the Officials page, or use "
                 "\"Forgot your password\" on the sign-in page.")  # fmt: skip
        if not user.is_active:
            if not user.has_finished_account_creation:
                return ("This invitation was revoked by your school's principal DSO, so the link no longer works. "
                        "If you think that is a mistake, ask them.")  # fmt: skip
            return "This account was removed, so the link no longer works. Ask your school's principal DSO."
    if link.used_at is not None:
        return "This link was already used. Each link works once. If you set your password, sign in. " + again
    if link.voided_at is not None:
        if user.is_official:
            return "This link no longer works: a newer one was sent. Use the link in the latest email. " + again
        return "This link no longer works: a newer link was sent, or the SEVIS ID was entered wrong three times. " + again
    if link.expires_at <= now:
        return "This link has expired. " + again
    return None


def _void_open_links(session: Session, user: User, *, now: datetime, purposes=tuple(LinkPurpose)) -> int:
    links = session.scalars(
        select(AccountLink).where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None),
                                  AccountLink.voided_at.is_(None), AccountLink.purpose.in_(purposes))  # fmt: skip
    ).all()
    for link in links:
        link.voided_at = now
    return len(links)


# ---------------------------------------------------------------- rule 1: account creation


def has_approved_opt(session: Session, student: Student) -> bool:
    return session.scalar(
        select(OptAuthorization.id).join(ProgramRecord)
        .where(ProgramRecord.student_id == student.id, OptAuthorization.status == OptStatus.APPROVED).limit(1)
    ) is not None  # fmt: skip


def _user_for_student(session: Session, student: Student) -> User | None:
    return session.scalar(select(User).where(User.student_id == student.id))


def _send_creation_link(session: Session, user: User, student: Student, *, template: str, now: datetime) -> AccountLink:
    link = issue_link(session, user, LinkPurpose.ACCOUNT_CREATION, now=now)
    queue_email(session, template=template, to=user.email, student=student, user=user,
                context={"student_name": student.full_name, "days_valid": LINK_LIFETIME[link.purpose].days},
                link_ref=f"account_link:{link.id}")  # fmt: skip
    return link


def create_account_for_approved_opt(session: Session, student: Student, *, actor: Actor,
                                    today: date | None = None) -> User | None:  # fmt: skip
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
        raise RuleBroken(f"The portal account is created on the OPT start date, {long_date(due_on)}: "
                         "the student gets the email that day.")  # fmt: skip
    return _create_account(session, student, actor=actor)


def create_account_if_due(session: Session, student: Student, *, actor: Actor, today: date | None = None) -> User | None:
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
    link = _send_creation_link(session, user, student, template="account_creation", now=now)
    record_event(session, actor, "account.invited", student=student, user=user, subject=f"user:{user.id}",
                 after={"email": user.email, "link_expires_at": link.expires_at})  # fmt: skip
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
    _void_open_links(session, user, now=now)
    link = _send_creation_link(session, user, student, template="account_creation", now=now)
    record_event(session, actor, "account.link_resent", student=student, user=user, subject=f"user:{user.id}",
                 after={"link_expires_at": link.expires_at})  # fmt: skip
    session.flush()
    return link


def unlock_account(session: Session, user: User, *, actor: Actor) -> None:
    """End a sign-in cool-down now (a DSO's unlock); refuses an account that is not locked."""
    if not is_locked(user):
        raise Conflict("This account is not locked.")
    clear_lock(session, user)
    record_event(session, actor, "account.unlocked", student=user.student, user=user, subject=f"user:{user.id}")
    session.flush()


def end_all_sessions(session: Session, user: User, *, actor: Actor, reason: str, keep=None) -> int:
    """Sign ``user`` out everywhere (except ``keep``); one event when any session was open."""
    return _end_all_sessions(session, user, actor=actor, reason=reason, keep=keep)


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
    voided = _void_open_links(session, user, now=now)
    finished = user.has_finished_account_creation
    if finished:
        # DESIGN rule 1: the old password stops working; the student sets a new one through the link. It stays in
        # the history, so it cannot simply be chosen again.
        session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))
        user.password_hash = None
    link = _send_creation_link(session, user, student, template="account_reset" if finished else "account_creation", now=now)
    record_event(session, actor, "account.reset", student=student, user=user, subject=f"user:{user.id}",
                 after={"links_voided": voided, "link_expires_at": link.expires_at, "password_voided": finished,
                        "mfa_cleared": bool(clear_mfa and user.mfa_enabled_at)})  # fmt: skip
    _end_all_sessions(session, user, actor=actor, reason="account_reset")
    if clear_mfa and user.mfa_secret_encrypted is not None:
        from portal.services.mfa import clear_mfa as _clear

        _clear(session, user, actor=actor)
    session.flush()
    return link


# ---------------------------------------------------------------- passwords


def _previous_hashes(session: Session, user: User) -> list[str]:
    history = session.scalars(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.id.desc()).limit(HISTORY_DEPTH - 1)
    ).all()  # fmt: skip
    return ([user.password_hash] if user.password_hash else []) + list(history)


def check_password_for(session: Session, user: User, password: str) -> str:
    """Normalize and check a new password for ``user``; returns it ready to hash."""
    password = normalize_password(password or "")
    check_new_password(password, sevis_id=user.student.sevis_id if user.student else None, email=user.email,
                       site_name=current_app.config["SITE_NAME"], previous_hashes=_previous_hashes(session, user))  # fmt: skip
    return password


def _set_password(session: Session, user: User, password: str, *, now: datetime) -> None:
    if user.password_hash:
        session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    session.flush()


def _notify_password_changed(session: Session, user: User) -> None:
    queue_email(session, template="password_changed", to=user.email, student=user.student, user=user,
                school_id=user.school_id, context={"name": user.display_name or user.email})  # fmt: skip


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
        record_event(session, Actor.system(), "account.link_voided", student=student, user=link.user,
                     subject=f"user:{link.user_id}", after={"reason": "sevis_id_wrong_three_times"})  # fmt: skip
        session.flush()
        raise RuleBroken("The SEVIS ID did not match three times, so this link no longer works. "
                         "Ask your school's DSO to send a new one with Reset Portal Account.")  # fmt: skip
    session.flush()
    raise InvalidValue(f"That SEVIS ID does not match our records. {left} {'try' if left == 1 else 'tries'} left.",
                       field="sevis_id")  # fmt: skip


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
    actor = _set_password_from_link(session, link, password)
    if was_finished:
        _after_password_reset(session, user, actor)
    else:
        record_event(session, actor, "account.created", student=user.student, user=user, subject=f"user:{user.id}")
    session.flush()
    return user


def _set_password_from_link(session: Session, link: AccountLink, password: str) -> Actor:
    """Set the password, spend ``link`` and void the user's other open links, unlock; the user as the actor."""
    user = link.user
    password = check_password_for(session, user, password)
    now = utcnow()
    _set_password(session, user, password, now=now)
    link.used_at = now
    _void_open_links(session, user, now=now)
    actor = Actor.for_user(user)
    if clear_lock(session, user):
        record_event(session, actor, "account.unlocked", student=user.student, user=user, subject=f"user:{user.id}")
    return actor


def _after_password_reset(session: Session, user: User, actor: Actor) -> None:
    """A reset password: the event, every session ended, and the notice to the user."""
    record_event(session, actor, "password.reset_completed", student=user.student, user=user, subject=f"user:{user.id}")
    _end_all_sessions(session, user, actor=actor, reason="password_reset")
    _notify_password_changed(session, user)


def _user_by_email(session: Session, email: str | None) -> User | None:
    """The account for a typed address; None for one no account could have (too long, control characters)."""
    address = (email or "").strip().lower()
    if not 0 < len(address) <= 254 or any(ord(char) < 32 or ord(char) == 127 for char in address):
        return None
    return session.scalar(select(User).where(User.email == address))


RESEND_AFTER = timedelta(minutes=1)


def _recent_link(session: Session, user: User, *, now: datetime) -> bool:
    return session.scalar(
        select(AccountLink.id).where(AccountLink.user_id == user.id, AccountLink.created_at > now - RESEND_AFTER).limit(1)
    ) is not None  # fmt: skip


def answer_password_reset(session: Session, email: str, *, now: datetime | None = None) -> bool:
    """Email the answer to a reset request (the worker calls this; portal/services/reset_requests.py): a 30-minute
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
        from portal.services.officials import reissue_invitation

        reissue_invitation(session, user, actor=actor, now=now, requested_from="password_reset")
        return True
    if not user.has_finished_account_creation:
        # No password yet: the way forward is the account-creation link, so send a fresh one.
        _void_open_links(session, user, now=now)
        link = _send_creation_link(session, user, user.student, template="account_creation", now=now)
        record_event(session, actor, "account.link_resent", student=user.student, user=user, subject=f"user:{user.id}",
                     after={"link_expires_at": link.expires_at, "requested_from": "password_reset"})  # fmt: skip
        return True
    _void_open_links(session, user, now=now, purposes=(LinkPurpose.PASSWORD_RESET,))
    link = issue_link(session, user, LinkPurpose.PASSWORD_RESET, now=now)
    queue_email(session, template="password_reset", to=user.email, student=user.student, user=user,
                school_id=user.school_id, context={"name": user.display_name or user.email, "minutes_valid": 30},
                link_ref=f"account_link:{link.id}")  # fmt: skip
    record_event(session, actor, "password.reset_requested", student=user.student, user=user, subject=f"user:{user.id}",
                 after={"link_expires_at": link.expires_at})  # fmt: skip
    session.flush()
    return True


def complete_password_reset(session: Session, link: AccountLink, *, password: str) -> User:
    """Set a new password from a reset link: unlocks, ends every session, emails a notice; refuses a bad link."""
    problem = link_problem(link)
    if problem:
        raise RuleBroken(problem)
    user = link.user
    _after_password_reset(session, user, _set_password_from_link(session, link, password))
    session.flush()
    return user


def change_password(session: Session, user: User, *, current_password: str, new_password: str, keep=None) -> None:
    """Change a signed-in user's password; ends their other sessions; refuses a wrong current password."""
    if not verify_password(user.password_hash, current_password or ""):
        raise InvalidValue("That is not your current password.", field="current_password")
    password = check_password_for(session, user, new_password)
    _set_password(session, user, password, now=utcnow())
    actor = Actor.for_user(user)
    record_event(session, actor, "password.changed", student=user.student, user=user, subject=f"user:{user.id}")
    _end_all_sessions(session, user, actor=actor, reason="password_changed", keep=keep)
    _notify_password_changed(session, user)
    session.flush()


# ---------------------------------------------------------------- sign-in


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    closed: ClosedAccount | None = None  # a student whose portal access has closed (rule 5): the right password, no entry


_DUMMY_HASH: dict[str, str] = {}


def _dummy_hash() -> str:
    """A throwaway hash with the current parameters: what an unknown or paused address is checked against."""
    key = repr(sorted((k, v) for k, v in current_app.config.items() if k.startswith("ARGON2_")))
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hash_password("not a real password, only for timing")
    return _DUMMY_HASH[key]


def _possible_address(address: str) -> str:
    """The address to look up: '' for one no account could have (too long, control characters), still looked up."""
    if len(address) > 254 or any(ord(char) < 32 or ord(char) == 127 for char in address):
        return ""
    return address


def sign_in_with_password(session: Session, email: str, password: str, *, client: str | None = None,
                          now: datetime | None = None) -> SignInResult:  # fmt: skip
    """Check an email and password; one answer and the same work for every address (DESIGN rule 18, issue 14).

    Known or not, paused or not: the same statements, one password verification (a throwaway hash when there
    is no usable account or the address or ``client`` is paused), and for any failure the same result.
    Refuses a student whose portal access has closed (DESIGN rule 5), saying why, once the password is right.
    """
    now = now or utcnow()
    password = password or ""
    address = _possible_address(normalized_address(email))
    user = session.scalar(select(User).options(joinedload(User.student)).where(User.email == address))
    pauses = read_pauses(session, address, client, now=now)
    usable = user is not None and user.is_active and bool(user.password_hash)
    paused = pauses.address or (pauses.client and not passes_client_pause(user, now))
    right = verify_password(user.password_hash if usable and not paused else _dummy_hash(), password)
    if not (usable and right) or paused:
        record_failed_attempt(session, address=address, client=client, user=user,
                              reason="paused" if paused else "wrong_password", now=now)  # fmt: skip
        return SignInResult(None)
    # Only after the right password: a wrong one never learns that the account is closed.
    closed = closed_account_for(session, user.student) if user.role is Role.STUDENT else None
    if closed is not None:
        record_event(session, Actor.for_user(user), "sign_in.refused", student=user.student, user=user,
                     subject=f"user:{user.id}", after={"reason": "access_closed"})  # fmt: skip
        session.flush()
        return SignInResult(None, closed=closed)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record_successful_sign_in(session, user, now=now)
    return SignInResult(user)


# ---------------------------------------------------------------- rule 12 and the attestation


def latest_forcing_upgrade(session: Session) -> Upgrade | None:
    return session.scalar(
        select(Upgrade).where(Upgrade.force_password_change.is_(True)).order_by(Upgrade.completed_at.desc()).limit(1)
    )


def must_change_password(session: Session, user: User, upgrade: Upgrade | None = ...) -> bool:
    """Rule 12: a student whose password predates the last forcing upgrade must set a new one first.

    ``upgrade`` is anything with a ``completed_at`` (the site state's copy); by default the database is asked.
    """
    if user.role is not Role.STUDENT or not user.password_hash:
        return False
    if upgrade is ...:
        upgrade = latest_forcing_upgrade(session)
    if upgrade is None:
        return False
    return user.password_changed_at is None or user.password_changed_at < upgrade.completed_at


_PENDING_CACHE: dict[tuple[int, datetime], tuple[datetime, bool]] = {}
_PENDING_CACHE_FOR = timedelta(seconds=60)


# Rule 12's Sign In notice is news for the weeks after an upgrade, when most students sign in. Later, the few who
# still have an old password are told by the change-password step itself ("The portal was upgraded ..."), and the
# banner would only puzzle everyone else: students who changed long ago, new students, officials.
FORCED_CHANGE_NOTICE_FOR = timedelta(days=30)


def forced_change_pending(session: Session, *, now: datetime | None = None) -> bool:
    """True for 30 days after the last forcing upgrade while some student still has to change a password (the Sign
    In notice); False afterwards, whoever is left.

    The answer is kept for a minute per process: the sign-in page is the busiest page, and a scan
    of every student on each view would not scale to a million accounts. The upgrade itself comes
    from the process's site state (seen within seconds of an upgrade on another server).
    """
    now = now or utcnow()
    upgrade = site_state(session, now).forcing_upgrade
    if upgrade is None or now - upgrade.completed_at >= FORCED_CHANGE_NOTICE_FOR:
        return False
    key = (upgrade.id, upgrade.completed_at)
    cached = _PENDING_CACHE.get(key)
    if cached is not None and now - cached[0] < _PENDING_CACHE_FOR:
        return cached[1]
    pending = _students_with_old_passwords(session, upgrade)
    _PENDING_CACHE.clear()
    _PENDING_CACHE[key] = (now, pending)
    return pending


def _students_with_old_passwords(session: Session, upgrade) -> bool:
    return session.scalar(
        select(User.id).where(User.role == Role.STUDENT, User.password_hash.is_not(None),
                              User.password_changed_at < upgrade.completed_at).limit(1)  # fmt: skip
    ) is not None


def record_attestation(session: Session, user: User) -> None:
    """The student accepts that what they report is true; one event each time."""
    user.attested_at = utcnow()
    record_event(session, Actor.for_user(user), "attestation.accepted", student=user.student, user=user,
                 subject=f"user:{user.id}")  # fmt: skip
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
        return AccountStatus(label="not created", available_actions=[
            AccountAction("reset", "Reset Portal Account", True),
            AccountAction("unlock", "Unlock", False, "There is no account yet."),
            AccountAction("resend", "Resend account creation email", False, "There is no account yet; Reset Portal Account creates it."),
            AccountAction("clear_mfa", "Turn off two-step verification", False, "There is no account yet."),
        ])  # fmt: skip
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
        AccountAction("resend", "Resend account creation email", not finished,
                      "The student already created the account; use Reset Portal Account." if finished else None),
        AccountAction("clear_mfa", "Turn off two-step verification", mfa_on,
                      None if mfa_on else "Two-step verification is not turned on."),
    ]  # fmt: skip
    return AccountStatus(label=label, locked_until=user.locked_until if locked else None, mfa_on=mfa_on,
                         last_sign_in_at=user.last_sign_in_at, available_actions=actions)  # fmt: skip
