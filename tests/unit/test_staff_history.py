"""The event history officials and support read: its filters and its pages."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from portal.models.enums import ActorKind, Role
from portal.services.actors import Actor
from portal.services.events import record_event
from portal.services.staff_history import PER_PAGE, HistoryFilter, parse_history_filter, student_history


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, HistoryFilter()),
        (
            {
                "actor_kind": "support",
                "event_type": "employer.added",
                "since": "2026-03-01",
                "until": "2026-03-31",
                "page": "2",
            },
            HistoryFilter(ActorKind.SUPPORT, "employer.added", date(2026, 3, 1), date(2026, 3, 31), 2),
        ),
        ({"actor_kind": "robot"}, HistoryFilter(error="Choose who acted from the list.")),
        ({"event_type": "x' OR 1=1"}, HistoryFilter(error="Choose a kind of event from the list.")),
        ({"event_type": "a" * 65}, HistoryFilter(error="Choose a kind of event from the list.")),
        ({"since": "03/01/2026"}, HistoryFilter(error="Enter dates like 2026-03-31.")),
        (
            {"since": "2026-03-31", "until": "2026-03-01"},
            HistoryFilter(
                since=date(2026, 3, 31),
                until=date(2026, 3, 1),
                error="The end date is before the start date: swap them.",
            ),
        ),
        ({"page": "0"}, HistoryFilter(page=1)),
        ({"page": "lots"}, HistoryFilter(page=1)),
        ({"page": "99999999"}, HistoryFilter(page=100_000)),
    ],
)
def test_the_filters_are_read_and_a_bad_value_becomes_a_message(args, expected):
    assert parse_history_filter(args) == expected


@pytest.fixture
def history(factory, db_session):
    """A student with events by three kinds of actor on three days (besides the factory's own, by the system)."""
    student = factory.student()
    support = Actor.for_user(factory.user(role=Role.SUPPORT))
    official = Actor.for_user(factory.user(role=Role.DSO, school=student.school))
    for day, actor, event_type in ((1, official, "test.noted"), (2, support, "test.read"), (3, official, "test.noted")):
        with time_machine.travel(datetime(2026, 3, day, 15, tzinfo=UTC), tick=False):
            record_event(db_session, actor, event_type, student=student, after={"day": day})
    return student


def test_filters_keep_the_matching_events_newest_first_and_every_type_stays_a_choice(db_session, history):
    everything, total_all, types = student_history(db_session, history.id, HistoryFilter())
    assert total_all == len(everything) and {"test.noted", "test.read"} <= set(types) and types == sorted(types)
    events, total, kept_types = student_history(db_session, history.id, HistoryFilter(event_type="test.noted"))
    assert [event.after["day"] for event in events] == [3, 1] and total == 2 and kept_types == types
    by_support, total, _ = student_history(db_session, history.id, HistoryFilter(actor_kind=ActorKind.SUPPORT))
    assert [event.event_type for event in by_support] == ["test.read"] and total == 1
    # The dates are US Eastern days, both ends included.
    days, total, _ = student_history(
        db_session, history.id, HistoryFilter(event_type="test.noted", since=date(2026, 3, 2), until=date(2026, 3, 3))
    )
    assert [event.after["day"] for event in days] == [3] and total == 1


def test_pages_hold_fifty_events_and_a_page_past_the_end_holds_none(factory, db_session):
    student = factory.student()
    for n in range(PER_PAGE + 3):
        record_event(db_session, Actor.system(), "test.counted", student=student, after={"n": n})
    kinds = HistoryFilter(event_type="test.counted")
    first, total, _ = student_history(db_session, student.id, kinds)
    second, _, _ = student_history(db_session, student.id, HistoryFilter(event_type="test.counted", page=2))
    past, past_total, _ = student_history(db_session, student.id, HistoryFilter(event_type="test.counted", page=9))
    assert (len(first), len(second), total, past, past_total) == (PER_PAGE, 3, PER_PAGE + 3, [], PER_PAGE + 3)
    assert [event.after["n"] for event in second] == [2, 1, 0]
