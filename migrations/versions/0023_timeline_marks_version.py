"""timeline_marks_version: which version of the marks rules computed the stored timeline marks, so that the worker
recomputes them all once the rules change; it starts at 1, the rules migration 0012 computed them with

Revision ID: 0023
Revises: 0022
Create Date: 2027-01-14

"""

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "timeline_marks_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", portal.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_timeline_marks_version_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_marks_version")),
    )
    # Version 1: the rules 0012 filled the table with (the app kept each changed student's marks current since).
    op.bulk_insert(table, [{"id": 1, "version": 1, "refreshed_at": None}])


def downgrade() -> None:
    op.drop_table("timeline_marks_version")
