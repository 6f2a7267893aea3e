"""events are append-only: the database refuses UPDATE, DELETE (and on PostgreSQL TRUNCATE)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The statements are spelled out here (not imported from portal.models.event) so that this
# migration keeps meaning what it meant when it was written.
SQLITE_UP = [
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
]
SQLITE_DOWN = ["DROP TRIGGER events_no_update", "DROP TRIGGER events_no_delete"]
POSTGRESQL_UP = [
    """CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only' USING ERRCODE = 'restrict_violation';
END;
$$""",
    "CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION events_refuse_change()",
    "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
    "FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()",
]
POSTGRESQL_DOWN = ["DROP FUNCTION events_refuse_change() CASCADE"]


def _run(statements):
    for statement in statements:
        op.execute(statement)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _run(POSTGRESQL_UP)
    else:
        _run(SQLITE_UP)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _run(POSTGRESQL_DOWN)
    else:
        _run(SQLITE_DOWN)
