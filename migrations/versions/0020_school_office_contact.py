"""schools.office_*: the international office's contact details that student pages show wherever they say "contact
your DSO" (issue 13)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-09

"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

COLUMNS = [("office_name", 200), ("office_email", 254), ("office_phone", 20), ("office_hours", 200),
           ("office_address", 500)]


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops a column in place): a batch copy of schools would drop
# the table that every official and student row refers to.


def upgrade():
    for name, length in COLUMNS:
        op.add_column("schools", sa.Column(name, sa.String(length), nullable=True))


def downgrade():
    for name, _length in reversed(COLUMNS):
        op.drop_column("schools", name)
