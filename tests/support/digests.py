"""Shared by the digest tests: days in US Eastern time, a student's change in the portal, a change-list download."""

from datetime import date, datetime, timedelta

from portal.models.enums import ActorKind, ChangeKind, ExportFormat
from portal.services.actors import Actor
from portal.services.change_lists import record_download, resolve_range
from portal.services.clock import EASTERN
from portal.services.events import record_event

MONDAY = date(2026, 3, 9)


def at(day: date, hour: int = 7, minute: int = 0) -> datetime:
    """A moment on ``day`` in US Eastern time."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=EASTERN)


def record_change(time_machine, db_session, student, kind=ChangeKind.CONTACT, actor=None):
    """Record one change a student made in the portal (what a change list lists)."""
    actor = actor or Actor(kind=ActorKind.STUDENT, label="Student", school_id=student.school_id)
    record_event(
        db_session,
        actor,
        f"{kind.value}.changed",
        student=student,
        change_kind=kind,
        before={"phone": "6175550100"},
        after={"phone": "6175550199"},
    )
    # The clock stands still in these tests, and a list covers the changes before its "now": one second on.
    time_machine.shift(timedelta(seconds=1))


def download(db_session, official):
    """A "since my last download" change list, which moves the official's mark."""
    actor = Actor.for_user(official)
    change_range = resolve_range(db_session, actor, start=None, end=None, since_last=True, kinds=tuple(ChangeKind))
    record_download(db_session, actor, fmt=ExportFormat.CSV, change_range=change_range, row_count=0)
