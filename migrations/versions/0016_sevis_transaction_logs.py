"""The SEVIS round trip (rule 9): what each batch file carried, the transaction logs SEVIS returned and each record's
result; a since-last download keeps the rejected changes it sent again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("change_list_downloads") as batch:
        batch.add_column(sa.Column("resent_event_ids", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                                   nullable=True))
    op.create_table(
        "sevis_batch_records",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("download_id", sa.Integer(), sa.ForeignKey("change_list_downloads.id",
                  name="fk_sevis_batch_records_download_id_change_list_downloads"), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(20), nullable=False),
        sa.Column("student_id", sa.Integer(), sa.ForeignKey("students.id",
                  name="fk_sevis_batch_records_student_id_students"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sevis_batch_records"),
        sa.UniqueConstraint("download_id", "request_id", name="uq_sevis_batch_records_download_id_request_id"),
    )
    op.create_index("ix_sevis_batch_records_download_part", "sevis_batch_records", ["download_id", "part"])
    op.create_index("ix_sevis_batch_records_student_id", "sevis_batch_records", ["student_id"])
    op.create_table(
        "sevis_batch_record_events",
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("sevis_batch_records.id",
                  name="fk_sevis_batch_record_events_record_id_sevis_batch_records"), nullable=False),
        sa.Column("event_id", EVENT_ID, sa.ForeignKey("events.id",
                  name="fk_sevis_batch_record_events_event_id_events"), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "event_id", name="pk_sevis_batch_record_events"),
    )
    op.create_index("ix_sevis_batch_record_events_event_id", "sevis_batch_record_events", ["event_id"])
    op.create_table(
        "sevis_transaction_logs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("school_id", sa.Integer(), sa.ForeignKey("schools.id",
                  name="fk_sevis_transaction_logs_school_id_schools"), nullable=False),
        sa.Column("download_id", sa.Integer(), sa.ForeignKey("change_list_downloads.id",
                  name="fk_sevis_transaction_logs_download_id_change_list_downloads"), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(30), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), sa.ForeignKey("users.id",
                  name="fk_sevis_transaction_logs_uploaded_by_user_id_users"), nullable=False),
        sa.Column("uploaded_by_label", sa.String(200), nullable=False),
        sa.Column("uploaded_at", TIMESTAMP, nullable=False),
        sa.Column("accepted_count", sa.Integer(), nullable=False),
        sa.Column("rejected_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sevis_transaction_logs"),
    )
    op.create_index("ix_sevis_transaction_logs_school_when", "sevis_transaction_logs", ["school_id", "uploaded_at"])
    op.create_table(
        "sevis_record_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("log_id", sa.Integer(), sa.ForeignKey("sevis_transaction_logs.id",
                  name="fk_sevis_record_results_log_id_sevis_transaction_logs"), nullable=False),
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("sevis_batch_records.id",
                  name="fk_sevis_record_results_record_id_sevis_batch_records"), nullable=False),
        sa.Column("school_id", sa.Integer(), sa.ForeignKey("schools.id",
                  name="fk_sevis_record_results_school_id_schools"), nullable=False),
        sa.Column("student_id", sa.Integer(), sa.ForeignKey("students.id",
                  name="fk_sevis_record_results_student_id_students"), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("error_code", sa.String(5), nullable=True),
        sa.Column("message", sa.String(500), nullable=True),
        sa.Column("processed_at", TIMESTAMP, nullable=True),
        sa.Column("resolved_at", TIMESTAMP, nullable=True),
        sa.Column("resolved_by_user_id", sa.Integer(), sa.ForeignKey("users.id",
                  name="fk_sevis_record_results_resolved_by_user_id_users"), nullable=True),
        sa.Column("resolved_by_log_id", sa.Integer(), sa.ForeignKey("sevis_transaction_logs.id",
                  name="fk_sevis_record_results_resolved_by_log_id"), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sevis_record_results"),
        sa.UniqueConstraint("record_id", name="uq_sevis_record_results_record_id"),
    )
    op.create_index("ix_sevis_record_results_open", "sevis_record_results", ["school_id", "accepted", "resolved_at"])
    op.create_index("ix_sevis_record_results_log_id", "sevis_record_results", ["log_id"])
    op.create_index("ix_sevis_record_results_student_id", "sevis_record_results", ["student_id"])


def downgrade() -> None:
    op.drop_table("sevis_record_results")
    op.drop_table("sevis_transaction_logs")
    op.drop_table("sevis_batch_record_events")
    op.drop_table("sevis_batch_records")
    with op.batch_alter_table("change_list_downloads") as batch:
        batch.drop_column("resent_event_ids")
