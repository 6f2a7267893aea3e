"""Two-step verification: TOTP (pyotp) with ten single-use recovery codes stored hashed (issue 3 point 7).

The TOTP secret is stored encrypted and bound to its user (portal/encryption.py); only secret_of() opens it.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass, field

import pyotp
import segno
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal import encryption
from portal.mail.outbox import queue_email
from portal.models import RecoveryCode, Student, User, utcnow
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.errors import Conflict, InvalidValue, NotAllowed, NotFound, SecretUnreadable
from portal.services.events import record_event
from portal.services.passwords import verify_password
from portal.services.sessions import end_all_sessions

MFA_REQUIRED_ROLES = frozenset({Role.DSO, Role.PRINCIPAL_DSO, Role.SUPPORT, Role.OPERATOR})
RECOVERY_CODE_COUNT = 10
_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def mfa_required(user: User) -> bool:
    return user.role in MFA_REQUIRED_ROLES


CANNOT_READ_MESSAGE = (
    "Two-step verification cannot be checked right now because of a fault on our side. "
    "Type one of your recovery codes instead, or try again later. If this goes on, contact support."
)


def mfa_enabled(user: User) -> bool:
    return user.mfa_enabled_at is not None and user.mfa_secret_encrypted is not None


def _secret_context(user_id: int) -> str:
    return f"users.mfa_secret:{user_id}"


def seal_secret(user_id: int, secret: str) -> str:
    """What the users row stores for ``secret`` (seeds that write rows directly use this too)."""
    return encryption.seal(secret, context=_secret_context(user_id))


def store_secret(session: Session, user: User, secret: str) -> None:
    """Keep ``secret`` as ``user``'s authenticator secret, encrypted."""
    if user.id is None:
        session.flush()
    user.mfa_secret_encrypted = seal_secret(user.id, secret)


def unseal_secret(user_id: int, stored: str) -> str:
    """The secret in a users row's ``mfa_secret_encrypted``; refuses (SecretUnreadable) what no configured key opens."""
    try:
        return encryption.unseal(stored, context=_secret_context(user_id))
    except SecretUnreadable:
        raise SecretUnreadable(CANNOT_READ_MESSAGE) from None


def secret_of(user: User) -> str | None:
    """The user's TOTP secret in clear (None when there is none); refuses when the configured keys cannot open it."""
    if user.mfa_secret_encrypted is None:
        return None
    return unseal_secret(user.id, user.mfa_secret_encrypted)


def start_enrolment(session: Session, user: User) -> str:
    """Give the user a new authenticator secret, not yet active; refuses when MFA is already on."""
    if mfa_enabled(user):
        raise Conflict("Two-step verification is already turned on.")
    secret = pyotp.random_base32()
    store_secret(session, user, secret)
    session.flush()
    return secret


def pending_secret(session: Session, user: User, *, restart: bool = False) -> str:
    """The not-yet-active secret that setup shows: a new one when there is none, on restart, or when the stored one
    cannot be decrypted (it was never active, so replacing it loses nothing); refuses when MFA is already on."""
    if restart or user.mfa_secret_encrypted is None:
        return start_enrolment(session, user)
    try:
        return secret_of(user)
    except SecretUnreadable:
        return start_enrolment(session, user)


def shown_secret(user: User) -> str | None:
    """The not-yet-active secret setup already holds, read without writing: None when there is none yet or it cannot
    be decrypted (then setup has to start, by a POST, before a QR code can be shown)."""
    if mfa_enabled(user):
        return None
    try:
        return secret_of(user)
    except SecretUnreadable:
        return None


def provisioning_uri(user: User, site_name: str) -> str:
    return pyotp.TOTP(secret_of(user)).provisioning_uri(name=user.email, issuer_name=site_name)


def qr_svg(uri: str) -> str:
    """The QR code as inline SVG markup (no script, no style attribute)."""
    buffer = io.BytesIO()
    # No fixed size, a viewBox instead: the stylesheet scales it to the column, so it fits a 320 px phone.
    segno.make(uri, error="m").save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        scale=5,
        omitsize=True,
        title="QR code for your authenticator app",
    )
    return buffer.getvalue().decode()


def _clean_code(code: str | None) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _matching_step(secret: str, code: str, *, after: int | None = None) -> int | None:
    """The time step (previous, current or next 30 s) whose code is ``code``, later than ``after``; else None."""
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = utcnow()
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(_clean_code(code).encode()).hexdigest()


def confirm_enrolment(session: Session, user: User, code: str) -> list[str]:
    """Turn MFA on once the user types a current code; returns the ten recovery codes to show once."""
    if user.mfa_secret_encrypted is None or mfa_enabled(user):
        raise Conflict("Start two-step verification setup again.")
    try:
        secret = secret_of(user)
    except SecretUnreadable:
        raise InvalidValue(
            "Setup has to start again: scan the new QR code, then type the code your app shows.", field="code"
        ) from None
    step = _matching_step(secret, _clean_code(code))
    if step is None:
        raise InvalidValue("That code is not right. Type the 6-digit code your app shows now.", field="code")
    user.mfa_enabled_at = utcnow()
    user.mfa_last_step = step
    codes = _new_recovery_codes(session, user)
    record_event(
        session, Actor.for_user(user), "mfa.enrolled", student=user.student, user=user, subject=f"user:{user.id}"
    )
    session.flush()
    return codes


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    for old in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=hash_recovery_code(raw)))
    session.flush()
    return codes


def verify_second_factor(session: Session, user: User, code: str) -> bool:
    """True for a current TOTP code not used before, or an unused recovery code (then spent); refuses replays.

    Fails closed when the stored secret cannot be decrypted: recovery codes still work (they are hashed, not
    encrypted); anything else raises SecretUnreadable, so the caller says so instead of "wrong code".
    """
    cleaned = _clean_code(code)
    if not mfa_enabled(user) or not cleaned or len(cleaned) > 20:
        return False
    try:
        secret, unreadable = secret_of(user), None
    except SecretUnreadable as error:
        secret, unreadable = None, error
    step = _matching_step(secret, cleaned, after=user.mfa_last_step) if secret else None
    if step is not None:
        user.mfa_last_step = step
        session.flush()
        return True
    wanted = hash_recovery_code(cleaned)
    for recovery in session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ):
        if hmac.compare_digest(recovery.code_hash, wanted):
            recovery.used_at = utcnow()
            record_event(
                session,
                Actor.for_user(user),
                "mfa.recovery_code_used",
                student=user.student,
                user=user,
                subject=f"user:{user.id}",
            )
            session.flush()
            return True
    if unreadable is not None:
        raise unreadable
    return False


def recovery_codes_left(session: Session, user: User) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).all()
    )


def clear_mfa(session: Session, user: User, *, actor: Actor, event_type: str = "mfa.cleared") -> None:
    """Remove the authenticator and recovery codes (a DSO's reset, or a student turning it off); refuses when off."""
    if user.mfa_secret_encrypted is None:
        raise Conflict("Two-step verification is not turned on for this account.")
    user.mfa_secret_encrypted = None
    user.mfa_enabled_at = None
    user.mfa_last_step = None
    for old in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)
    record_event(session, actor, event_type, student=user.student, user=user, subject=f"user:{user.id}")
    session.flush()


def turn_off_mfa(session: Session, user: User, *, password: str, code: str, keep=None) -> None:
    """A student turns two-step verification off with their password and a current or recovery code: one event,
    their other sessions ended, a notice by email. Refuses officials (they must use it), a wrong password or code."""
    if mfa_required(user):
        raise NotAllowed(
            "School officials, support staff and operators must use two-step verification, so it cannot be turned off."
        )
    if not mfa_enabled(user):
        raise Conflict("Two-step verification is already off.")
    if not verify_password(user.password_hash, password or ""):
        raise InvalidValue("That is not your current password.", field="current_password")
    if not verify_second_factor(session, user, code):
        raise InvalidValue(
            "That code is not right. Type the 6-digit code your app shows now, or a recovery code.", field="code"
        )
    actor = Actor.for_user(user)
    clear_mfa(session, user, actor=actor, event_type="mfa.turned_off")
    end_all_sessions(session, user, actor=actor, reason="mfa_turned_off", keep=keep)
    queue_email(
        session,
        template="mfa_turned_off",
        to=user.email,
        student=user.student,
        user=user,
        school_id=user.school_id,
        context={"name": user.display_name or user.email},
    )
    session.flush()


def turn_off_mfa_for_student(session: Session, student: Student, *, actor: Actor) -> None:
    """A DSO turns two-step verification off for a student who lost both the authenticator and the recovery codes:
    one event, every session of the student ended, a notice by email. Refuses anyone but an official of the student's
    school, an account that is not a student's (support and operators handle staff), and when it is already off."""
    if not actor.is_school_official:
        raise NotAllowed("Only a DSO of the student's school can turn off the student's two-step verification.")
    if actor.school_id != student.school_id:
        raise NotFound("No such student at your school.")
    user = student.user
    if user is None:
        raise Conflict("This student has no portal account yet.")
    if mfa_required(user):
        raise NotAllowed("A school official's two-step verification cannot be turned off here; support handles staff.")
    if not mfa_enabled(user):
        raise Conflict("Two-step verification is already off for this student.")
    clear_mfa(session, user, actor=actor)
    end_all_sessions(session, user, actor=actor, reason="mfa_cleared")
    queue_email(
        session,
        template="mfa_turned_off_by_school",
        to=user.email,
        student=student,
        user=user,
        context={"name": student.full_name},
    )
    session.flush()


@dataclass
class ResealReport:
    resealed: int = 0
    already_current: int = 0
    unreadable: list[int] = field(default_factory=list)


def reseal_secrets(session: Session, *, batch_size: int = 500) -> ResealReport:
    """Re-encrypt every stored TOTP secret under DATA_ENCRYPTION_KEY (after a key change); lists the users whose
    secret no configured key opens, and leaves those rows as they are."""
    report = ResealReport()
    last_id = 0
    while True:
        rows = session.execute(
            select(User.id, User.mfa_secret_encrypted)
            .where(User.mfa_secret_encrypted.is_not(None), User.id > last_id)
            .order_by(User.id)
            .limit(batch_size)
        ).all()
        if not rows:
            break
        changes = []
        for user_id, stored in rows:
            try:
                fresh = encryption.reseal(stored, context=_secret_context(user_id))
            except SecretUnreadable:
                report.unreadable.append(user_id)
                continue
            if fresh is None:
                report.already_current += 1
            else:
                changes.append({"id": user_id, "mfa_secret_encrypted": fresh})
        if changes:
            session.execute(update(User), changes)
            report.resealed += len(changes)
        last_id = rows[-1][0]
    session.flush()
    return report
