"""Drop students.employed_until, its index and the triggers on employers that kept it (migration 0009): the DSO
list, alerts and exports read the timeline's marks (migration 0012) instead, and nothing reads the column any more

Revision ID: 0022
Revises: 0021
Create Date: 2027-01-12

"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# Migration 0009's statements, spelled out again (not imported from it) so that this migration keeps its meaning.
SQLITE_TRIGGERS = [
    "CREATE TRIGGER employers_employed_until_insert AFTER INSERT ON employers BEGIN "
    "UPDATE students SET employed_until = (SELECT max(coalesce(end_date, '9999-12-31')) FROM employers "
    "WHERE student_id = NEW.student_id AND deleted_at IS NULL) WHERE id = NEW.student_id; END",
    "CREATE TRIGGER employers_employed_until_update AFTER UPDATE OF student_id, end_date, deleted_at ON employers "
    "BEGIN "
    "UPDATE students SET employed_until = (SELECT max(coalesce(end_date, '9999-12-31')) FROM employers "
    "WHERE student_id = OLD.student_id AND deleted_at IS NULL) WHERE id = OLD.student_id; "
    "UPDATE students SET employed_until = (SELECT max(coalesce(end_date, '9999-12-31')) FROM employers "
    "WHERE student_id = NEW.student_id AND deleted_at IS NULL) WHERE id = NEW.student_id; END",
    "CREATE TRIGGER employers_employed_until_delete AFTER DELETE ON employers BEGIN "
    "UPDATE students SET employed_until = (SELECT max(coalesce(end_date, '9999-12-31')) FROM employers "
    "WHERE student_id = OLD.student_id AND deleted_at IS NULL) WHERE id = OLD.student_id; END",
]
SQLITE_DROP = ["DROP TRIGGER employers_employed_until_insert", "DROP TRIGGER employers_employed_until_update",
               "DROP TRIGGER employers_employed_until_delete"]
POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION students_refresh_employed_until(target integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    until date;
BEGIN
    -- Lock the student first: a concurrent change to the same student's employers then commits before the
    -- statement below takes its snapshot (READ COMMITTED), so neither change is lost.
    PERFORM 1 FROM students WHERE id = target FOR NO KEY UPDATE;
    SELECT max(coalesce(end_date, DATE '9999-12-31')) INTO until FROM employers
        WHERE student_id = target AND deleted_at IS NULL;
    UPDATE students SET employed_until = until WHERE id = target AND employed_until IS DISTINCT FROM until;
END;
$$""",
    """CREATE FUNCTION employers_refresh_employed_until() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE students SET employed_until = NULL WHERE employed_until IS NOT NULL;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM students_refresh_employed_until(OLD.student_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.student_id IS DISTINCT FROM OLD.student_id) THEN
        PERFORM students_refresh_employed_until(NEW.student_id);
    END IF;
    RETURN NULL;
END;
$$""",
    "CREATE TRIGGER employers_employed_until AFTER INSERT OR DELETE OR UPDATE OF student_id, end_date, deleted_at "
    "ON employers FOR EACH ROW EXECUTE FUNCTION employers_refresh_employed_until()",
    "CREATE TRIGGER employers_employed_until_truncate AFTER TRUNCATE ON employers "
    "FOR EACH STATEMENT EXECUTE FUNCTION employers_refresh_employed_until()",
]
# CASCADE drops both triggers that call the first function.
POSTGRESQL_DROP = ["DROP FUNCTION employers_refresh_employed_until() CASCADE",
                   "DROP FUNCTION students_refresh_employed_until(integer)"]
BACKFILL = (
    "UPDATE students SET employed_until = (SELECT max(coalesce(end_date, {no_end})) FROM employers "
    "WHERE employers.student_id = students.id AND employers.deleted_at IS NULL)"
)


def upgrade():
    for statement in POSTGRESQL_DROP if op.get_bind().dialect.name == "postgresql" else SQLITE_DROP:
        op.execute(statement)
    op.drop_index("ix_students_school_employed_until", table_name="students")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch copy of students, which other tables reference.
    op.drop_column("students", "employed_until")


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.add_column("students", sa.Column("employed_until", sa.Date(), nullable=True))
    op.create_index("ix_students_school_employed_until", "students", ["school_id", "employed_until"], unique=False)
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)
    # After the triggers, so a change made meanwhile is not missed.
    op.execute(BACKFILL.format(no_end="DATE '9999-12-31'" if postgresql else "'9999-12-31'"))
