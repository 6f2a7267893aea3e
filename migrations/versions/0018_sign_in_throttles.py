"""Sign-in throttling per typed address and per client, whether or not an account exists (issue 14): a lockout
that tells nobody which addresses have accounts

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-10

"""

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("lock_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", portal.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("failures >= 0 AND lock_count >= 0", name=op.f("ck_sign_in_throttles_throttle_counters_not_negative")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttles")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_throttles")
