"""indexes for the DSO students search and alerts: trigram GIN indexes (PostgreSQL) for LIKE '%text%' on the full
name, email and employer name; live employers by student and end; employers by review status; users by lock end

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22

"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.create_index("ix_employers_live_student_end", ["student_id", "end_date"], unique=False,
                              postgresql_where=sa.text("deleted_at IS NULL"), sqlite_where=sa.text("deleted_at IS NULL"))
        batch_op.create_index("ix_employers_review_status", ["review_status"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_locked_until", ["locked_until"], unique=False)
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_students_email_trgm", "students", ["email"], postgresql_using="gin",
                        postgresql_ops={"email": "gin_trgm_ops"})
        op.execute("CREATE INDEX ix_students_full_name_trgm ON students "
                   "USING gin (lower(given_name || ' ' || surname) gin_trgm_ops)")
        op.execute("CREATE INDEX ix_employers_name_trgm ON employers USING gin (lower(name) gin_trgm_ops)")
    else:
        op.create_index("ix_students_email_trgm", "students", ["email"])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_employers_name_trgm", table_name="employers")
        op.drop_index("ix_students_full_name_trgm", table_name="students")
    op.drop_index("ix_students_email_trgm", table_name="students")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_locked_until")
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.drop_index("ix_employers_review_status")
        batch_op.drop_index("ix_employers_live_student_end")
