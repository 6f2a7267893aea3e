"""Two-step verification: TOTP (pyotp) with ten single-use recovery codes stored hashed (issue 3 point 7)."""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets

import pyotp
import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import RecoveryCode, User, utcnow
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.errors import Conflict, InvalidValue
from portal.services.events import record_event

MFA_REQUIRED_ROLES = frozenset({Role.DSO, Role.PRINCIPAL_DSO, Role.SUPPORT, Role.OPERATOR})
RECOVERY_CODE_COUNT = 10
_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def mfa_required(user: User) -> bool:
    return user.role in MFA_REQUIRED_ROLES


def mfa_enabled(user: User) -> bool:
    return user.mfa_enabled_at is not None and user.mfa_secret is not None


def start_enrolment(session: Session, user: User) -> str:
    """Give the user a new authenticator secret, not yet active; refuses when MFA is already on."""
    if mfa_enabled(user):
        raise Conflict("Two-step verification is already turned on.")
    user.mfa_secret = pyotp.random_base32()
    session.flush()
    return user.mfa_secret


def provisioning_uri(user: User, site_name: str) -> str:
    return pyotp.TOTP(user.mfa_secret).provisioning_uri(name=user.email, issuer_name=site_name)


def qr_svg(uri: str) -> str:
    """The QR code as inline SVG markup (no script, no style attribute)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", xmldecl=False, svgns=True, scale=5,
                                    title="QR code for your authenticator app")  # fmt: skip
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
    if user.mfa_secret is None or mfa_enabled(user):
        raise Conflict("Start two-step verification setup again.")
    step = _matching_step(user.mfa_secret, _clean_code(code))
    if step is None:
        raise InvalidValue("That code is not right. Type the 6-digit code your app shows now.", field="code")
    user.mfa_enabled_at = utcnow()
    user.mfa_last_step = step
    codes = _new_recovery_codes(session, user)
    record_event(session, Actor.for_user(user), "mfa.enrolled", student=user.student, user=user, subject=f"user:{user.id}")
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
    """True for a current TOTP code not used before, or an unused recovery code (then spent); refuses replays."""
    cleaned = _clean_code(code)
    if not mfa_enabled(user) or not cleaned or len(cleaned) > 20:
        return False
    step = _matching_step(user.mfa_secret, cleaned, after=user.mfa_last_step)
    if step is not None:
        user.mfa_last_step = step
        session.flush()
        return True
    wanted = hash_recovery_code(cleaned)
    for recovery in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))):
        if hmac.compare_digest(recovery.code_hash, wanted):
            recovery.used_at = utcnow()
            record_event(session, Actor.for_user(user), "mfa.recovery_code_used", student=user.student, user=user,
                         subject=f"user:{user.id}")  # fmt: skip
            session.flush()
            return True
    return False


def recovery_codes_left(session: Session, user: User) -> int:
    return len(session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def clear_mfa(session: Session, user: User, *, actor: Actor) -> None:
    """Remove the authenticator and recovery codes (a DSO's reset, or a student turning it off); refuses when off."""
    if user.mfa_secret is None:
        raise Conflict("Two-step verification is not turned on for this account.")
    user.mfa_secret = None
    user.mfa_enabled_at = None
    user.mfa_last_step = None
    for old in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)
    record_event(session, actor, "mfa.cleared", student=user.student, user=user, subject=f"user:{user.id}")
    session.flush()
