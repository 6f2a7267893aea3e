"""events are append-only on SQLite also against INSERT OR REPLACE: REPLACE deletes the row it conflicts with
without firing the delete trigger, so a trigger refuses any insert whose id is already taken

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08

"""
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# Spelled out here (not imported from portal.models.event) so that this migration keeps meaning what it meant.
# PostgreSQL needs nothing: INSERT ... ON CONFLICT DO UPDATE fires the update trigger, and there is no REPLACE.
SQLITE_UP = [
    "CREATE TRIGGER events_no_replace BEFORE INSERT ON events "
    "WHEN EXISTS (SELECT 1 FROM events WHERE id = NEW.id) "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
]
SQLITE_DOWN = ["DROP TRIGGER events_no_replace"]


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
