"""students.employed_until, kept by triggers on employers, and its index: the DSO alerts and filters for students
without a current employer read one index on students instead of every employer of the school

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22

"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The statements are spelled out here (not imported from portal.models.employment) so that this
# migration keeps meaning what it meant when it was written.
SQLITE_UP = [
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
SQLITE_DOWN = ["DROP TRIGGER employers_employed_until_insert", "DROP TRIGGER employers_employed_until_update",
               "DROP TRIGGER employers_employed_until_delete"]
POSTGRESQL_UP = [
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
POSTGRESQL_DOWN = ["DROP FUNCTION employers_refresh_employed_until() CASCADE",
                   "DROP FUNCTION students_refresh_employed_until(integer)"]
BACKFILL = (
    "UPDATE students SET employed_until = (SELECT max(coalesce(end_date, {no_end})) FROM employers "
    "WHERE employers.student_id = students.id AND employers.deleted_at IS NULL)"
)


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.add_column("students", sa.Column("employed_until", sa.Date(), nullable=True))
    op.create_index("ix_students_school_employed_until", "students", ["school_id", "employed_until"], unique=False)
    for statement in POSTGRESQL_UP if postgresql else SQLITE_UP:
        op.execute(statement)
    # After the triggers, so a change made meanwhile is not missed.
    op.execute(BACKFILL.format(no_end="DATE '9999-12-31'" if postgresql else "'9999-12-31'"))


def downgrade():
    for statement in POSTGRESQL_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    op.drop_index("ix_students_school_employed_until", table_name="students")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch copy of students, which other tables reference.
    op.drop_column("students", "employed_until")
