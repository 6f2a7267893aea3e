"""Officials' email digest (issue 12): users.digest_cadence, off (the default), daily or weekly.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# Spelled out here (not imported from portal.models.enums) so that the migration keeps its meaning.
CADENCES = ("off", "daily", "weekly")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("digest_cadence", sa.String(length=6), server_default="off", nullable=False))
        batch.create_check_constraint(op.f("ck_users_digest_cadence"),
                                      "digest_cadence IN (" + ", ".join(f"'{value}'" for value in CADENCES) + ")")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_digest_cadence"), type_="check")
        batch.drop_column("digest_cadence")
