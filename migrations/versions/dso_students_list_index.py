"""the DSO students list's default order (school, surname, given name) as an index

Revision ID: dso_2
Revises: dso_1
Create Date: 2026-11-22

"""
from alembic import op

revision = "dso_2"
down_revision = "dso_1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.create_index("ix_students_school_name", ["school_id", "surname", "given_name", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_index("ix_students_school_name")
