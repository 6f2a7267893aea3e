"""Signing in with an email address and a password: one answer and the same work for every address (rule 18)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from portal.models import User, utcnow
from portal.models.enums import Role
from portal.services.access import ClosedAccount, closed_account_for
from portal.services.actors import Actor
from portal.services.events import record_event
from portal.services.passwords import hash_password, hashing_slot, needs_rehash, verify_password
from portal.services.throttling import (
    normalized_address,
    passes_client_pause,
    read_pauses,
    record_failed_attempt,
    record_successful_sign_in,
)


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    closed: ClosedAccount | None = (
        None  # a student whose portal access has closed (rule 5): the right password, no entry
    )


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


def sign_in_with_password(
    session: Session, email: str, password: str, *, client: str | None = None, now: datetime | None = None
) -> SignInResult:
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
    stored = user.password_hash if usable and not paused else None
    # The check and any rehash share one hashing slot, taken before either: a busy server (HashingBusy, a 503) refuses
    # every address at the same point, having written nothing, and a sign-in that starts is never refused half-way.
    with hashing_slot():
        right = verify_password(stored or _dummy_hash(), password)
        new_hash = hash_password(password) if right and stored and needs_rehash(stored) else None
    if not (usable and right) or paused:
        record_failed_attempt(
            session, address=address, client=client, user=user, reason="paused" if paused else "wrong_password", now=now
        )
        return SignInResult(None)
    # Only after the right password: a wrong one never learns that the account is closed.
    closed = closed_account_for(session, user.student) if user.role is Role.STUDENT else None
    if closed is not None:
        record_event(
            session,
            Actor.for_user(user),
            "sign_in.refused",
            student=user.student,
            user=user,
            subject=f"user:{user.id}",
            after={"reason": "access_closed"},
        )
        session.flush()
        return SignInResult(None, closed=closed)
    if new_hash:
        user.password_hash = new_hash
    record_successful_sign_in(session, user, now=now)
    return SignInResult(user)
