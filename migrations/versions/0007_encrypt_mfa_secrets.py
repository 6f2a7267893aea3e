"""TOTP secrets encrypted at rest: users.mfa_secret (clear text) becomes users.mfa_secret_encrypted, a Fernet token
under DATA_ENCRYPTION_KEY bound to its row (portal/encryption.py); downgrade decrypts them back

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22

The keys come from the app's configuration, so run it with the DATA_ENCRYPTION_KEY (or SECRET_KEY) the app uses.
A downgrade stops, changing nothing, when a secret does not open with the configured keys.
"""

import sqlalchemy as sa
from alembic import op

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
    from portal.services.mfa import seal_secret

    op.add_column("users", sa.Column("mfa_secret_encrypted", sa.String(length=255), nullable=True))
    _copy("SELECT id, mfa_secret FROM users WHERE mfa_secret IS NOT NULL AND id > :after ORDER BY id LIMIT :batch",
          "UPDATE users SET mfa_secret_encrypted = :value WHERE id = :id", seal_secret)
    _drop_column("mfa_secret")


def downgrade():
    from portal.services.mfa import unseal_secret

    op.add_column("users", sa.Column("mfa_secret", sa.String(length=64), nullable=True))
    _copy("SELECT id, mfa_secret_encrypted FROM users WHERE mfa_secret_encrypted IS NOT NULL AND id > :after "
          "ORDER BY id LIMIT :batch", "UPDATE users SET mfa_secret = :value WHERE id = :id", unseal_secret)
    _drop_column("mfa_secret_encrypted")
