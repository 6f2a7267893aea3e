"""Employers' employment type (issue 13): employers.employment_type, from the existing self_employed flag.

The kinds SEVP's OPT policy guidance accepts as OPT employment. A self-employed employer becomes
"self_employed", every other existing row "paid_employee" (the default for new rows too).

Revision ID: 0021
Revises: 0019
Create Date: 2027-01-11

"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None

# Spelled out here (not imported from portal.models.enums) so that the migration keeps its meaning.
TYPES = ("paid_employee", "self_employed", "unpaid", "agency_or_contract", "short_term")


def upgrade() -> None:
    with op.batch_alter_table("employers") as batch:
        batch.add_column(sa.Column("employment_type", sa.String(length=18), server_default="paid_employee",
                                   nullable=False))
        batch.create_check_constraint(op.f("ck_employers_employment_type"),
                                      "employment_type IN (" + ", ".join(f"'{value}'" for value in TYPES) + ")")
    op.execute("UPDATE employers SET employment_type = 'self_employed' WHERE self_employed")


def downgrade() -> None:
    with op.batch_alter_table("employers") as batch:
        batch.drop_constraint(op.f("ck_employers_employment_type"), type_="check")
        batch.drop_column("employment_type")
