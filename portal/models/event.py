"""The append-only event history (rule 8). The database itself refuses UPDATE, DELETE and REPLACE."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, BigInteger, ForeignKey, Index, Integer, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, JSONType, enum_column, utcnow
from portal.models.enums import ActorKind, ChangeKind


class Event(Base):
    """Something that happened: who did it, to which student, and the values before and after."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_student_occurred", "student_id", "occurred_at"),
        Index("ix_events_school_change", "school_id", "change_kind", "occurred_at"),
        Index("ix_events_user_occurred", "user_id", "occurred_at"),
        # A change list reads a school's changes oldest first: in this order, without sorting them (0010).
        Index(
            "ix_events_school_changes_in_order",
            "school_id",
            "occurred_at",
            "id",
            postgresql_where=text("change_kind IS NOT NULL"),
            sqlite_where=text("change_kind IS NOT NULL"),
        ),
    )

    # BIGINT on PostgreSQL (tens of millions of rows); INTEGER on SQLite so the key is the rowid.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_kind: Mapped[ActorKind] = mapped_column(enum_column(ActorKind, "actor_kind"))
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    event_type: Mapped[str] = mapped_column(String(64), index=True)
    change_kind: Mapped[ChangeKind | None] = mapped_column(enum_column(ChangeKind, "change_kind"))
    subject: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    reported_late: Mapped[bool] = mapped_column(default=False)
    # A change's 'field: old -> new; ...' as the change list shows it, written with the event (events are never
    # updated, so it cannot go stale): exports read it instead of comparing before and after for every row.
    # NULL for events that are not changes, and for changes recorded before migration 0010.
    changes: Mapped[str | None] = mapped_column(Text)
    # The same change as [field, old, new] per changed field, the values as the change list shows them: the list's
    # rows, one per field, read without comparing before and after. NULL as ``changes`` (and before migration 0015).
    fields: Mapped[list | None] = mapped_column(JSONType)


APPEND_ONLY_MESSAGE = "events are append-only"

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
    f"CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
    # INSERT OR REPLACE deletes the row it conflicts with without firing the delete trigger (0019).
    "CREATE TRIGGER events_no_replace BEFORE INSERT ON events WHEN EXISTS (SELECT 1 FROM events WHERE id = NEW.id) "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
]
POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'restrict_violation';
END;
$$""",
    "CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION events_refuse_change()",
    "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
    "FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()",
]

# create_all() (tests, throwaway databases) gets the same triggers as the migration.
for _statement in SQLITE_TRIGGERS:
    event.listen(Event.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_TRIGGERS:
    event.listen(Event.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
event.listen(
    Event.__table__,
    "before_drop",
    DDL("DROP FUNCTION IF EXISTS events_refuse_change() CASCADE").execute_if(dialect="postgresql"),
)
