"""Change lists (rule 9): each download keeps the newest event id it saw, so it can be fetched again exactly as it was

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("change_list_downloads") as batch:
        batch.add_column(sa.Column("up_to_event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("change_list_downloads") as batch:
        batch.drop_column("up_to_event_id")
