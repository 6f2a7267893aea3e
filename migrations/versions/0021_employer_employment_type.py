"""Employers' employment type (issue 13): employers.employment_type, from the existing self_employed flag.

The kinds SEVP's OPT policy guidance accepts as OPT employment. A self-employed employer becomes
"self_employed", every other existing row "paid_employee" (the default for new rows too).

Revision ID: 0021
Revises: 0020
Create Date: 2027-01-11

"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# Spelled out here (not imported from portal.models.enums) so that the migration keeps its meaning.
TYPES = ("paid_employee", "self_employed", "unpaid", "agency_or_contract", "short_term")
CHECK = "employment_type IN (" + ", ".join(f"'{value}'" for value in TYPES) + ")"


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        # A plain ADD COLUMN, not batch mode: recreating the table would drop 0009's triggers on employers.
        op.execute("ALTER TABLE employers ADD COLUMN employment_type VARCHAR(18) DEFAULT 'paid_employee' NOT NULL "
                   f"CONSTRAINT ck_employers_employment_type CHECK ({CHECK})")
    else:
        op.add_column("employers", sa.Column("employment_type", sa.String(length=18), server_default="paid_employee",
                                             nullable=False))
        op.create_check_constraint(op.f("ck_employers_employment_type"), "employers", CHECK)
    op.execute("UPDATE employers SET employment_type = 'self_employed' WHERE self_employed")


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_employers_employment_type"), "employers", type_="check")
    op.drop_column("employers", "employment_type")
