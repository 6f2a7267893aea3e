"""timeline_marks: each student's dated timeline marks (unemployed periods, access closing, STEM reminders), derived
from the records on every change, so DSO lists and the daily notices index them instead of counting again

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "timeline_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("detail", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name="fk_timeline_marks_school_id_schools"),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], name="fk_timeline_marks_student_id_students"),
        sa.PrimaryKeyConstraint("id", name="pk_timeline_marks"),
    )
    op.create_index("ix_timeline_marks_student_id", "timeline_marks", ["student_id"])
    op.create_index("ix_timeline_marks_school_kind_period", "timeline_marks", ["school_id", "kind", "starts_on", "ends_on"])
    op.create_index("ix_timeline_marks_kind_day", "timeline_marks", ["kind", "starts_on"])
    # The marks of the students already here, computed by the same code the app runs.
    from portal.services.timeline.database import refresh_all_marks

    refresh_all_marks(op.get_bind())


def downgrade():
    op.drop_table("timeline_marks")
