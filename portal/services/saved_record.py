"""The student's record to print or save ("Save my record"): OPTs, employers, addresses and every event.

SEVP tells students to keep a copy of their history before portal access closes; this is that copy, readable
on paper. It is a read, so a read-only student gets it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Address, Employer, Event
from portal.models.enums import AddressKind
from portal.services.access import StudentAccess
from portal.services.employers import visible_employers

EVENT_BATCH = 500


@dataclass(frozen=True)
class RecordToSave:
    access: StudentAccess
    employers: list[Employer]
    addresses: list[Address]
    event_count: int
    events: Iterator[Event]  # every event, newest first, fetched in batches as the page reads them


def record_to_save(session: Session, access: StudentAccess) -> RecordToSave:
    """The student's printable record on ``access``'s day; four statements whatever the size of the history."""
    student = access.student
    addresses = sorted(
        session.scalars(select(Address).where(Address.student_id == student.id).order_by(Address.id)),
        key=lambda address: address.kind is not AddressKind.PHYSICAL,
    )  # the physical address first
    count = session.scalar(select(func.count()).select_from(Event).where(Event.student_id == student.id)) or 0
    events = session.scalars(
        select(Event)
        .where(Event.student_id == student.id)
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .execution_options(yield_per=EVENT_BATCH)
    )
    return RecordToSave(
        access=access,
        employers=visible_employers(session, access),
        addresses=addresses,
        event_count=count,
        events=iter(events),
    )
