"""Password hashing with argon2id; parameters come from configuration.

Both hashing and checking normalise the password first, so no caller can forget to: a password typed on a
keyboard that sends "é" as one code point matches the same password typed as "e" plus a combining accent.
"""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app


def password_hasher() -> PasswordHasher:
    """The hasher for the configured parameters (memory in KiB, as argon2-cffi takes it)."""
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def normalize_password(password: str) -> str:
    """NFKC, as 800-63B asks for Unicode passwords, so the same password typed two ways matches."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    """The argon2id hash of the normalised password."""
    return password_hasher().hash(normalize_password(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the normalised password matches; False for a mismatch or a missing or unreadable hash."""
    if not password_hash:
        return False
    try:
        return password_hasher().verify(password_hash, normalize_password(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the configured ones (rehash at sign-in)."""
    try:
        return password_hasher().check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True
