"""account links carry a random salt so the token can be recomputed at delivery (only its hash is stored);
users remember the last TOTP step accepted, so a code works once

Revision ID: accounts_1
Revises: 0002
Create Date: 2026-11-22

"""
import sqlalchemy as sa
from alembic import op

revision = "accounts_1"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("salt", sa.String(length=32), server_default="", nullable=False))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mfa_last_step", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("mfa_last_step")
    with op.batch_alter_table("account_links", schema=None) as batch_op:
        batch_op.drop_column("salt")
