"""STEM duties (rule 15): reporting obligations follow the timeline's duties (their OPT), close with a reason, carry
what the student submitted ("Confirm my details"); a final Form I-983 evaluation kind; evaluations attach to their
obligation

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08

"""

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OBLIGATION_KINDS_BEFORE = ("address_change", "contact_change", "employer_change", "participation_validation",
                           "stem_validation", "i983_evaluation")
OBLIGATION_KINDS = (*OBLIGATION_KINDS_BEFORE, "i983_final_evaluation")
DOCUMENT_KINDS_BEFORE = ("i983", "screenshot", "ead_card")  # as 0011 left them
DOCUMENT_KINDS = (*DOCUMENT_KINDS_BEFORE, "evaluation")


def _kind_check(values) -> str:
    return "kind IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _replace_kind_check(batch_op, table: str, enum_name: str, values) -> None:
    batch_op.drop_constraint(op.f(f"ck_{table}_{enum_name}"), type_="check")
    batch_op.create_check_constraint(op.f(f"ck_{table}_{enum_name}"), _kind_check(values))


def upgrade():
    with op.batch_alter_table("reporting_obligations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opt_authorization_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("closed_at", portal.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_reason", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("submission", portal.models.base.JSONType, nullable=True))
        batch_op.add_column(sa.Column("submitted_at", portal.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(op.f("fk_reporting_obligations_opt_authorization"),
                                    "opt_authorizations", ["opt_authorization_id"], ["id"])
        batch_op.create_index(op.f("ix_reporting_obligations_opt_authorization_id"), ["opt_authorization_id"], unique=False)
        batch_op.create_check_constraint(op.f("ck_reporting_obligations_closure_has_reason"),
                                         "(closed_at IS NULL) = (closed_reason IS NULL)")
        _replace_kind_check(batch_op, "reporting_obligations", "obligation_kind", OBLIGATION_KINDS)
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("obligation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_documents_obligation_id_reporting_obligations"), "reporting_obligations",
                                    ["obligation_id"], ["id"])
        batch_op.create_index(op.f("ix_documents_obligation_id"), ["obligation_id"], unique=False)
        _replace_kind_check(batch_op, "documents", "document_kind", DOCUMENT_KINDS)
    # The STEM obligations already here belong to their student's approved STEM OPT (the newest when several).
    op.execute(
        "UPDATE reporting_obligations SET opt_authorization_id = ("
        " SELECT o.id FROM opt_authorizations o JOIN program_records p ON p.id = o.program_record_id"
        " WHERE p.student_id = reporting_obligations.student_id AND o.kind = 'stem' AND o.status = 'approved'"
        " ORDER BY o.start_date DESC, o.id DESC LIMIT 1)"
        " WHERE kind IN ('stem_validation', 'i983_evaluation')"
    )


def downgrade():
    op.execute("DELETE FROM reporting_obligations WHERE kind = 'i983_final_evaluation'")
    op.execute("UPDATE documents SET kind = 'i983' WHERE kind = 'evaluation'")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        _replace_kind_check(batch_op, "documents", "document_kind", DOCUMENT_KINDS_BEFORE)
        batch_op.drop_index("ix_documents_obligation_id")
        batch_op.drop_constraint("fk_documents_obligation_id_reporting_obligations", type_="foreignkey")
        batch_op.drop_column("obligation_id")
    with op.batch_alter_table("reporting_obligations", schema=None) as batch_op:
        _replace_kind_check(batch_op, "reporting_obligations", "obligation_kind", OBLIGATION_KINDS_BEFORE)
        batch_op.drop_constraint(op.f("ck_reporting_obligations_closure_has_reason"), type_="check")
        batch_op.drop_index("ix_reporting_obligations_opt_authorization_id")
        batch_op.drop_constraint(op.f("fk_reporting_obligations_opt_authorization"), type_="foreignkey")
        for column in ("submitted_at", "submission", "closed_reason", "closed_at", "opt_authorization_id"):
            batch_op.drop_column(column)
