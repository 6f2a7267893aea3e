"""opt_authorizations.actual_start_date and actual_end_date: the EAD card's validity, recorded at approval (rule 16
counts unemployment from it, never from the requested start); every OPT already approved gets its requested dates,
with an event in History saying so. documents.kind accepts the EAD card.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

"""

from datetime import date, datetime, timezone

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Spelled out here (not imported from the models) so the migration keeps meaning what it meant when written.
ACTUAL_RANGE_CHECK = "actual_end_date >= actual_start_date"
OLD_DOCUMENT_KINDS = ("i983", "screenshot")
NEW_DOCUMENT_KINDS = ("i983", "screenshot", "ead_card")
BACKFILL_SOURCE = "requested dates, set when actual dates were introduced"


def _kind_check(kinds) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def _document_kinds(kinds) -> None:
    """Replace the CHECK constraint that lists the document kinds (documents.kind is a VARCHAR with a CHECK)."""
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a constraint: batch mode copies the table with the new CHECK. documents has no triggers.
        with op.batch_alter_table("documents", recreate="always") as batch_op:
            batch_op.drop_constraint(op.f("ck_documents_document_kind"), type_="check")
            batch_op.create_check_constraint(op.f("ck_documents_document_kind"), _kind_check(kinds))
    else:
        op.drop_constraint(op.f("ck_documents_document_kind"), "documents", type_="check")
        op.create_check_constraint(op.f("ck_documents_document_kind"), "documents", _kind_check(kinds))


def upgrade():
    with op.batch_alter_table("opt_authorizations") as batch_op:
        batch_op.add_column(sa.Column("actual_start_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("actual_end_date", sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_opt_authorizations_actual_end_not_before_actual_start"), ACTUAL_RANGE_CHECK
        )
    _backfill_approved()
    _document_kinds(NEW_DOCUMENT_KINDS)


def _backfill_approved() -> None:
    """Approved OPTs so far kept only the requested dates: record them as the actual ones, with an event each."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT o.id, o.start_date, o.end_date, p.student_id, s.school_id FROM opt_authorizations o "
        "JOIN program_records p ON p.id = o.program_record_id JOIN students s ON s.id = p.student_id "
        "WHERE o.status = 'approved' AND o.actual_start_date IS NULL ORDER BY o.id")).all()
    if not rows:
        return
    bind.execute(sa.text("UPDATE opt_authorizations SET actual_start_date = start_date, actual_end_date = end_date "
                         "WHERE status = 'approved' AND actual_start_date IS NULL"))
    json_type = JSONB() if bind.dialect.name == "postgresql" else sa.JSON()
    events = sa.table(
        "events", sa.column("occurred_at", sa.DateTime(timezone=True)), sa.column("student_id", sa.Integer),
        sa.column("school_id", sa.Integer), sa.column("user_id", sa.Integer), sa.column("actor_user_id", sa.Integer),
        sa.column("actor_kind", sa.String), sa.column("actor_label", sa.String), sa.column("event_type", sa.String),
        sa.column("change_kind", sa.String), sa.column("subject", sa.String), sa.column("before", json_type),
        sa.column("after", json_type), sa.column("reported_late", sa.Boolean), sa.column("changes", sa.Text),
    )
    now = datetime.now(timezone.utc)
    # As record_event writes a system event that is not a student's change: no user, no change kind, no changes text.
    op.bulk_insert(events, [
        {"occurred_at": now, "student_id": student_id, "school_id": school_id, "user_id": None, "actor_user_id": None,
         "actor_kind": "system", "actor_label": "OPT Portal", "event_type": "opt.actual_dates_recorded",
         "change_kind": None, "subject": f"opt:{opt_id}", "before": {"actual_start_date": None, "actual_end_date": None},
         "after": {"actual_start_date": _iso(start), "actual_end_date": _iso(end), "source": BACKFILL_SOURCE},
         "reported_late": False, "changes": None}
        for opt_id, start, end, student_id, school_id in rows
    ])


def _iso(value) -> str:
    """A date as ISO text (SQLite hands back the text it stores, PostgreSQL a date)."""
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def downgrade():
    # The events stay (History is append-only); the columns they describe go. An uploaded EAD card would break the
    # old CHECK: refuse rather than delete a student's document.
    if op.get_bind().execute(sa.text("SELECT count(*) FROM documents WHERE kind = 'ead_card'")).scalar_one():
        raise RuntimeError("Students have uploaded EAD cards, which the schema before 0011 cannot hold; "
                           "downgrading would lose them. Export them and remove the rows first.")
    _document_kinds(OLD_DOCUMENT_KINDS)
    with op.batch_alter_table("opt_authorizations") as batch_op:
        batch_op.drop_constraint(op.f("ck_opt_authorizations_actual_end_not_before_actual_start"), type_="check")
        batch_op.drop_column("actual_end_date")
        batch_op.drop_column("actual_start_date")
