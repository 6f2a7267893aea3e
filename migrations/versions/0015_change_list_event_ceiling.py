"""Change lists (rule 9): each download keeps the newest event id it saw, so it can be fetched again exactly as it
was; each change event keeps its changed fields ([field, old, new]), the list's rows


Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Events are append-only (rows before this stay NULL: the list compares their before and after instead).
    op.add_column("events", sa.Column("fields", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True))
    with op.batch_alter_table("change_list_downloads") as batch:
        batch.add_column(sa.Column("up_to_event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("change_list_downloads") as batch:
        batch.drop_column("up_to_event_id")
    op.drop_column("events", "fields")
