"""events.changes: a change's 'field: old -> new' text, written with the event, so change lists read it instead of
comparing before and after for every row; a school's changes in time order (partial index) so a change list
streams without sorting

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    # Not in batch mode: SQLite adds a column in place (a batch copy of the table would drop its append-only
    # triggers). Changes recorded before this migration keep NULL; the change list computes theirs as it did.
    op.add_column("events", sa.Column("changes", sa.Text(), nullable=True))
    changes_only = sa.text("change_kind IS NOT NULL")
    op.create_index(
        "ix_events_school_changes_in_order",
        "events",
        ["school_id", "occurred_at", "id"],
        unique=False,
        postgresql_where=changes_only,
        sqlite_where=changes_only,
    )


def downgrade():
    op.drop_index("ix_events_school_changes_in_order", table_name="events")
    op.drop_column("events", "changes")
