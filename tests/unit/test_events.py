"""The event history is append-only, enforced by the database itself (DESIGN rule 8)."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from portal.models import Event
from portal.services.actors import Actor
from portal.services.events import record_event


@pytest.fixture
def event(factory, db_session):
    student = factory.student(opt=None)
    return record_event(db_session, Actor.system(), "test.happened", student=student, after={"value": 1})


def test_event_rows_cannot_be_updated(db_session, event):
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text("UPDATE events SET event_type = 'tampered' WHERE id = :id"), {"id": event.id})


def test_event_rows_cannot_be_deleted(db_session, event):
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text("DELETE FROM events WHERE id = :id"), {"id": event.id})


def test_orm_changes_to_an_event_are_refused(db_session, event):
    event.event_type = "tampered"
    with pytest.raises(DBAPIError, match="append-only"):
        db_session.flush()
    db_session.rollback()


SQLITE_REWRITES = [
    "INSERT OR REPLACE INTO events (id, occurred_at, actor_kind, actor_label, event_type, reported_late) "
    "VALUES (:id, CURRENT_TIMESTAMP, 'system', 'tamperer', 'tampered', false)",
    "REPLACE INTO events (id, occurred_at, actor_kind, actor_label, event_type, reported_late) "
    "VALUES (:id, CURRENT_TIMESTAMP, 'system', 'tamperer', 'tampered', false)",
]
UPSERT = (
    "INSERT INTO events (id, occurred_at, actor_kind, actor_label, event_type, reported_late) "
    "VALUES (:id, CURRENT_TIMESTAMP, 'system', 'tamperer', 'tampered', false) "
    "ON CONFLICT (id) DO UPDATE SET event_type = 'tampered', actor_label = 'tamperer'"
)


@pytest.mark.parametrize("statement", [*SQLITE_REWRITES, UPSERT], ids=["insert-or-replace", "replace", "upsert"])
def test_an_event_cannot_be_rewritten_by_an_insert_over_it(db_session, event, statement):
    if statement in SQLITE_REWRITES and db_session.get_bind().dialect.name != "sqlite":
        pytest.skip("REPLACE is SQLite's; PostgreSQL's equivalent is the upsert")
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text(statement), {"id": event.id})
    row = db_session.execute(text("SELECT event_type, actor_label FROM events WHERE id = :id"), {"id": event.id}).one()
    assert tuple(row) == ("test.happened", "OPT Portal")


def test_events_table_cannot_be_truncated_on_postgresql(db_session, event):
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL; SQLite's DELETE is covered above")
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text("TRUNCATE events CASCADE"))


def test_secrets_never_reach_an_event(factory, db_session):
    student = factory.student(opt=None)
    event = record_event(
        db_session,
        Actor.system(),
        "account.password_changed",
        student=student,
        after={"password": "hunter2hunter2", "token": "abc", "nested": {"code": "123456", "ok": 1}},
    )
    stored = db_session.scalar(select(Event).where(Event.id == event.id))
    assert stored.after == {"nested": {"ok": 1}}
