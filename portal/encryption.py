"""Secrets at rest (the TOTP secrets): Fernet tokens (AES-128-CBC + HMAC-SHA256) under DATA_ENCRYPTION_KEY.

Reading tries DATA_ENCRYPTION_KEY, then each of DATA_ENCRYPTION_OLD_KEYS, then the key derived from SECRET_KEY
(HKDF-SHA256 with its own info string), which is also the key when DATA_ENCRYPTION_KEY is unset. So moving from
the derived key to a real one, or from an old key to a new one, is: set the keys, run `portal secrets rotate`.

Each value is sealed together with the record it belongs to ("users.mfa_secret:42"): a token copied onto another
row does not open there, so someone who can write to the database but lacks the key cannot plant a secret they know.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import re
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

from portal.services.errors import SecretUnreadable

log = logging.getLogger("portal.encryption")

_DERIVATION_INFO = b"opt-portal data-encryption-key v1"
_KEY_HELP = "Make one with `portal secrets new-key`."


def derived_key(secret_key: str) -> bytes:
    """The development default: a Fernet key derived from SECRET_KEY, never equal to anything else derived from it."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def new_key() -> str:
    return Fernet.generate_key().decode()


def _parse_key(value: str, name: str) -> Fernet:
    try:
        return Fernet(value.strip().encode())
    except (ValueError, binascii.Error):
        raise ValueError(f"{name} is not a valid key (32 bytes, URL-safe base64, 44 characters). {_KEY_HELP}") from None


@dataclass(frozen=True)
class Keyring:
    writer: Fernet
    readers: MultiFernet


_KEYRINGS: dict[tuple[str, str, str], Keyring] = {}


def keyring_for(config) -> Keyring:
    """The keys ``config`` names: one to write, all to read; refuses a malformed key (ValueError)."""
    primary = (config.get("DATA_ENCRYPTION_KEY") or "").strip()
    old = config.get("DATA_ENCRYPTION_OLD_KEYS") or ""
    secret_key = config["SECRET_KEY"]
    cache_key = (primary, old, secret_key)
    if cache_key not in _KEYRINGS:
        derived = Fernet(derived_key(secret_key))
        writer = _parse_key(primary, "DATA_ENCRYPTION_KEY") if primary else derived
        readers = [writer] + [
            _parse_key(key, "A key in DATA_ENCRYPTION_OLD_KEYS") for key in re.split(r"[\s,]+", old) if key
        ]
        if primary:
            readers.append(derived)
        _KEYRINGS[cache_key] = Keyring(writer=writer, readers=MultiFernet(readers))
    return _KEYRINGS[cache_key]


def init_app(app: Flask) -> None:
    """Check the configured keys at start-up, so a typo stops the app instead of every sign-in."""
    keyring_for(app.config)


def seal(value: str, *, context: str) -> str:
    """``value`` encrypted under DATA_ENCRYPTION_KEY, bound to ``context`` (the record it belongs to)."""
    return keyring_for(current_app.config).writer.encrypt(f"{context}\n{value}".encode()).decode()


def unseal(token: str, *, context: str) -> str:
    """The value sealed in ``token`` for ``context``; refuses (SecretUnreadable) a token no configured key opens."""
    try:
        plain = keyring_for(current_app.config).readers.decrypt(token.encode()).decode()
    except (InvalidToken, UnicodeError):
        plain = None
    sealed_for, _, value = (plain or "").partition("\n")
    if plain is None or not hmac.compare_digest(sealed_for.encode(), context.encode()):
        log.error(
            "Cannot decrypt %s with DATA_ENCRYPTION_KEY or DATA_ENCRYPTION_OLD_KEYS (wrong key, or a token "
            "copied from another record)",
            context,
        )
        raise SecretUnreadable("This secret cannot be read with the configured keys.")
    return value


def reseal(token: str, *, context: str) -> str | None:
    """``token`` re-encrypted under DATA_ENCRYPTION_KEY, or None when it already is; refuses one no key opens."""
    keyring = keyring_for(current_app.config)
    try:
        keyring.writer.decrypt(token.encode())
        return None
    except InvalidToken:
        pass
    return seal(unseal(token, context=context), context=context)
