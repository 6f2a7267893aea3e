"""exactly one principal DSO per school and no cap on DSOs (8 CFR 214.3(l)(1)): drops the ten-alternate trigger of
0004 (the J-1 sponsor rule, 22 CFR 62.72, which does not apply to F-1 schools) and adds a partial unique index on
users(school_id) for active principal DSOs. A school that already has two active principals keeps the oldest; the
others become DSOs, each change recorded as an event.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

"""

import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

INDEX = "uq_users_one_principal_per_school"
# Spelled out here (not imported from portal.models.account) so that the migration keeps its meaning.
ACTIVE_PRINCIPAL = "role = 'principal_dso' AND deactivated_at IS NULL"
ACTOR_LABEL = "Database upgrade 0013 (one principal DSO per school)"

# What 0004 created, for the downgrade (spelled out for the same reason).
_CHECK = (
    "SELECT RAISE(ABORT, 'at most ten alternate officials per school') WHERE (SELECT count(*) FROM users "
    "WHERE school_id = NEW.school_id AND role = 'dso' AND deactivated_at IS NULL) > 10;"
)
SQLITE_CAP = [
    "CREATE TRIGGER users_alternates_limit_insert AFTER INSERT ON users "
    f"WHEN NEW.role = 'dso' AND NEW.deactivated_at IS NULL BEGIN {_CHECK} END",
    "CREATE TRIGGER users_alternates_limit_update AFTER UPDATE OF role, school_id, deactivated_at ON users "
    f"WHEN NEW.role = 'dso' AND NEW.deactivated_at IS NULL BEGIN {_CHECK} END",
]
SQLITE_DROP_CAP = [
    "DROP TRIGGER IF EXISTS users_alternates_limit_insert",
    "DROP TRIGGER IF EXISTS users_alternates_limit_update",
]
POSTGRESQL_CAP = [
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
POSTGRESQL_DROP_CAP = ["DROP FUNCTION IF EXISTS users_alternates_limit() CASCADE"]

_json = sa.JSON().with_variant(JSONB(), "postgresql")
events = sa.table(
    "events",
    sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("school_id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("actor_kind", sa.String),
    sa.column("actor_label", sa.String),
    sa.column("event_type", sa.String),
    sa.column("subject", sa.String),
    sa.column("before", _json),
    sa.column("after", _json),
    sa.column("reported_late", sa.Boolean),
)


def _run(statements):
    for statement in statements:
        op.execute(statement)


def _one_principal_per_school(bind) -> None:
    """Keep each school's oldest active principal; make the others DSOs and record why, one event each."""
    principals = bind.execute(sa.text(
        f"SELECT id, school_id, email FROM users WHERE {ACTIVE_PRINCIPAL} AND school_id IN ("  # noqa: S608
        f"SELECT school_id FROM users WHERE {ACTIVE_PRINCIPAL} GROUP BY school_id HAVING count(*) > 1) "
        "ORDER BY school_id, created_at, id")).all()
    kept: dict[int, str] = {}
    for user_id, school_id, email in principals:
        if school_id not in kept:
            kept[school_id] = email
            continue
        kept_email = kept[school_id]
        log.warning("School %s had more than one principal DSO: %s stays principal, %s becomes a DSO.",
                    school_id, kept_email, email)
        bind.execute(sa.text("UPDATE users SET role = 'dso' WHERE id = :id"), {"id": user_id})
        bind.execute(events.insert().values(
            occurred_at=sa.func.current_timestamp(), school_id=school_id, user_id=user_id, actor_kind="system",
            actor_label=ACTOR_LABEL, event_type="official.role_changed", subject=f"user:{user_id}",
            before={"email": email, "role": "principal_dso"},
            after={"role": "dso", "reason": f"A school has one principal DSO; {kept_email} was appointed first."},
            reported_late=False))


def upgrade():
    bind = op.get_bind()
    _run(POSTGRESQL_DROP_CAP if bind.dialect.name == "postgresql" else SQLITE_DROP_CAP)
    _one_principal_per_school(bind)
    where = sa.text(ACTIVE_PRINCIPAL)
    op.create_index(INDEX, "users", ["school_id"], unique=True, postgresql_where=where, sqlite_where=where)


def downgrade():
    # The demotions stay (their events say what happened); only the schema goes back.
    op.drop_index(INDEX, table_name="users")
    _run(POSTGRESQL_CAP if op.get_bind().dialect.name == "postgresql" else SQLITE_CAP)
