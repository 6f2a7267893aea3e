"""at most ten alternate officials per school besides the principal (22 CFR 62.72), enforced by a trigger

Revision ID: dso_1
Revises: accounts_1
Create Date: 2026-11-22

"""
from alembic import op

revision = "dso_1"
down_revision = "accounts_1"  # the integrator may re-chain; it only needs the users table
branch_labels = None
depends_on = None

# Spelled out here (not imported from portal.models.official_limit) so that the migration keeps its meaning.
_CHECK = (
    "SELECT RAISE(ABORT, 'at most ten alternate officials per school') WHERE (SELECT count(*) FROM users "
    "WHERE school_id = NEW.school_id AND role = 'dso' AND deactivated_at IS NULL) > 10;"
)
SQLITE_UP = [
    "CREATE TRIGGER users_alternates_limit_insert AFTER INSERT ON users "
    f"WHEN NEW.role = 'dso' AND NEW.deactivated_at IS NULL BEGIN {_CHECK} END",
    "CREATE TRIGGER users_alternates_limit_update AFTER UPDATE OF role, school_id, deactivated_at ON users "
    f"WHEN NEW.role = 'dso' AND NEW.deactivated_at IS NULL BEGIN {_CHECK} END",
]
SQLITE_DOWN = ["DROP TRIGGER users_alternates_limit_insert", "DROP TRIGGER users_alternates_limit_update"]
POSTGRESQL_UP = [
    """CREATE FUNCTION users_alternates_limit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.role = 'dso' AND NEW.deactivated_at IS NULL AND NEW.school_id IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(6272, NEW.school_id);
        IF (SELECT count(*) FROM users WHERE school_id = NEW.school_id AND role = 'dso'
                AND deactivated_at IS NULL AND id <> NEW.id) >= 10 THEN
            RAISE EXCEPTION 'at most ten alternate officials per school' USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$""",
    "CREATE TRIGGER users_alternates_limit BEFORE INSERT OR UPDATE OF role, school_id, deactivated_at ON users "
    "FOR EACH ROW EXECUTE FUNCTION users_alternates_limit()",
]
POSTGRESQL_DOWN = ["DROP FUNCTION users_alternates_limit() CASCADE"]


def _run(statements):
    for statement in statements:
        op.execute(statement)


def upgrade():
    _run(POSTGRESQL_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP)


def downgrade():
    _run(POSTGRESQL_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN)
