"""The student's record to save: the physical address first, every event of theirs newest first, current employers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from portal.models import utcnow
from portal.services import saved_record
from portal.services.access import student_access
from portal.services.actors import Actor
from portal.services.events import record_event
from portal.services.saved_record import record_to_save
from tests.unit.conftest import TODAY


def _event(session, student, event_type, occurred_at):
    """An event at ``occurred_at``: events are append-only, so the clock is set before it is written."""
    with time_machine.travel(occurred_at, tick=False):
        return record_event(session, Actor.system(), event_type, student=student)


def test_the_physical_address_comes_first_whatever_order_they_were_added(db_session, factory, student):
    factory.address(student, kind="mailing", line1="9 Post Road")
    factory.address(student, kind="physical", line1="40 Elm Street")
    record = record_to_save(db_session, student_access(db_session, student, TODAY))
    assert [(address.kind.value, address.line1) for address in record.addresses] == [
        ("physical", "40 Elm Street"),
        ("mailing", "9 Post Road"),
    ]


def test_every_event_of_the_student_comes_newest_first_across_batches_and_no_one_elses(
    db_session, factory, school, student, monkeypatch
):
    monkeypatch.setattr(saved_record, "EVENT_BATCH", 2)
    before = record_to_save(db_session, student_access(db_session, student, TODAY)).event_count  # the factory's own
    other = factory.student(school=school)
    _event(db_session, other, "other.student", datetime(2030, 2, 15, tzinfo=UTC))
    march, february = datetime(2030, 3, 1, 9, tzinfo=UTC), datetime(2030, 2, 1, 9, tzinfo=UTC)
    first_of_march = _event(db_session, student, "phone.updated", march)
    _event(db_session, student, "employer.added", february)
    second_of_march = _event(db_session, student, "address.updated", march)  # same instant: the later row first
    _event(db_session, student, "account.created", datetime(2030, 1, 5, 9, tzinfo=UTC))
    _event(db_session, student, "employer.updated", datetime(2030, 2, 20, 9, tzinfo=UTC))
    record = record_to_save(db_session, student_access(db_session, student, TODAY))
    events = list(record.events)
    assert [event.event_type for event in events[:5]] == [
        "address.updated",
        "phone.updated",
        "employer.updated",
        "employer.added",
        "account.created",
    ]
    assert events[0].id == second_of_march.id and events[1].id == first_of_march.id
    assert all(event.student_id == student.id for event in events)
    assert record.event_count == len(events) == before + 5


def test_a_student_without_addresses_gets_none(db_session, student):
    assert record_to_save(db_session, student_access(db_session, student, TODAY)).addresses == []


@pytest.mark.parametrize("deleted", [False, True])
def test_the_record_lists_the_employers_the_student_still_has(db_session, factory, student, deleted):
    employer = factory.employer(student, name="Acme Analytics LLC")
    if deleted:
        employer.deleted_at = utcnow()
        db_session.flush()
    record = record_to_save(db_session, student_access(db_session, student, TODAY))
    assert [item.name for item in record.employers] == ([] if deleted else ["Acme Analytics LLC"])
