"""TOTP secrets encrypted at rest: users.mfa_secret (clear text) becomes users.mfa_secret_encrypted, a Fernet token
under DATA_ENCRYPTION_KEY bound to its row (portal/encryption.py); downgrade decrypts them back

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22

The keys come from the app's configuration, so run it with the DATA_ENCRYPTION_KEY (or SECRET_KEY) the app uses.
A downgrade stops, changing nothing, when a secret does not open with the configured keys.
"""

import base64
import binascii
import hmac
import re

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 500


def _copy(select_sql: str, update_sql: str, convert) -> None:
    """Rewrite every stored secret with ``convert(user_id, value)``, a batch of rows at a time, in id order."""
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(sa.text(select_sql), {"after": last_id, "batch": BATCH}).all()
        if not rows:
            return
        connection.execute(sa.text(update_sql), [{"id": user_id, "value": convert(user_id, value)} for user_id, value in rows])
        last_id = rows[-1][0]


def _drop_column(name: str) -> None:
    # SQLite (3.35+) drops a column in place; batch mode would copy the whole users table for it.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE users DROP COLUMN {name}")
    else:
        op.drop_column("users", name)


def upgrade():
    writer, _ = keys(current_app.config)
    op.add_column("users", sa.Column("mfa_secret_encrypted", sa.String(length=255), nullable=True))
    _copy("SELECT id, mfa_secret FROM users WHERE mfa_secret IS NOT NULL AND id > :after ORDER BY id LIMIT :batch",
          "UPDATE users SET mfa_secret_encrypted = :value WHERE id = :id",
          lambda user_id, secret: seal_secret(writer, user_id, secret))
    _drop_column("mfa_secret")


def downgrade():
    _, readers = keys(current_app.config)
    op.add_column("users", sa.Column("mfa_secret", sa.String(length=64), nullable=True))
    _copy("SELECT id, mfa_secret_encrypted FROM users WHERE mfa_secret_encrypted IS NOT NULL AND id > :after "
          "ORDER BY id LIMIT :batch", "UPDATE users SET mfa_secret = :value WHERE id = :id",
          lambda user_id, stored: unseal_secret(readers, user_id, stored))
    _drop_column("mfa_secret_encrypted")


# --- Sealing a TOTP secret -----------------------------------------------------------------------------------------
# A frozen copy of portal/encryption.py (derived_key, keyring_for, seal, unseal) and portal/services/mfa.py
# (seal_secret, unseal_secret) as they were on 2026-12-06, spelled out here rather than imported, so that this
# migration keeps writing and reading the format it wrote whatever the app's code becomes. Only the sealing itself:
# the keyring cache, logging and the app's error types are left out. tests/integration/test_migrations.py checks that
# the app still opens what this seals and the other way round; if the app's format changes, that test says so.

_DERIVATION_INFO = b"opt-portal data-encryption-key v1"


class SecretUnreadable(Exception):
    """A stored secret that no configured key opens (or that was sealed for another row). Not a RuntimeError, which
    Flask-Migrate would turn into an exit, as the app's SecretUnreadable is not."""


def _derived_key(secret_key: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def _parse_key(value: str, name: str) -> Fernet:
    try:
        return Fernet(value.strip().encode())
    except (ValueError, binascii.Error):
        raise ValueError(f"{name} is not a valid key (32 bytes, URL-safe base64, 44 characters).") from None


def keys(config) -> tuple:
    """The key that seals and the keys that open, from ``config`` (DATA_ENCRYPTION_KEY, DATA_ENCRYPTION_OLD_KEYS,
    SECRET_KEY), as the app chose them."""
    primary = (config.get("DATA_ENCRYPTION_KEY") or "").strip()
    old = config.get("DATA_ENCRYPTION_OLD_KEYS") or ""
    derived = Fernet(_derived_key(config["SECRET_KEY"]))
    writer = _parse_key(primary, "DATA_ENCRYPTION_KEY") if primary else derived
    readers = [writer] + [
        _parse_key(key, "A key in DATA_ENCRYPTION_OLD_KEYS") for key in re.split(r"[\s,]+", old) if key
    ]
    if primary:
        readers.append(derived)
    return writer, MultiFernet(readers)


def _context(user_id: int) -> str:
    return f"users.mfa_secret:{user_id}"


def seal_secret(writer: Fernet, user_id: int, secret: str) -> str:
    """What users.mfa_secret_encrypted stores for ``secret``: a Fernet token of "users.mfa_secret:<id>\\n<secret>"."""
    return writer.encrypt(f"{_context(user_id)}\n{secret}".encode()).decode()


def unseal_secret(readers: MultiFernet, user_id: int, stored: str) -> str:
    """The secret in ``stored``; refuses (SecretUnreadable) a token no key opens or one sealed for another row."""
    context = _context(user_id)
    try:
        plain = readers.decrypt(stored.encode()).decode()
    except (InvalidToken, UnicodeError):
        plain = None
    sealed_for, _, value = (plain or "").partition("\n")
    if plain is None or not hmac.compare_digest(sealed_for.encode(), context.encode()):
        raise SecretUnreadable(
            f"The two-step sign-in secret of user {user_id} cannot be read with the configured keys "
            "(DATA_ENCRYPTION_KEY, DATA_ENCRYPTION_OLD_KEYS, SECRET_KEY); nothing was changed. "
            "Run the downgrade with the keys the app uses."
        )
    return value
