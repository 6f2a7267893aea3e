"""Maintenance windows (rule 11): which windows may be scheduled or cancelled, and which one is announced or in force."""

from datetime import UTC, datetime, timedelta

import pytest

from portal.services.actors import Actor
from portal.services.errors import Conflict, InvalidValue, NotFound, RuleBroken
from portal.services.maintenance import (
    active_window,
    announced_window,
    cancel_window,
    schedule_window,
    upcoming_windows,
)

START = datetime(2024, 3, 20, 0, 0, tzinfo=UTC)  # Tuesday, March 19, 2024, 8:00 p.m. EDT
END = datetime(2024, 3, 20, 4, 0, tzinfo=UTC)  # Wednesday, March 20, 2024, 12:00 a.m. EDT


@pytest.fixture
def window(db_session, time_machine):
    time_machine.move_to(START - timedelta(days=5), tick=False)
    return schedule_window(
        db_session, starts_at=START, ends_at=END, message="Latency fix after the upgrade.", actor=Actor.system()
    )


@pytest.mark.parametrize(
    ("starts", "ends", "message", "error"),
    [
        (START, START, "", RuleBroken),
        (START, START - timedelta(hours=1), "", RuleBroken),
        (START - timedelta(days=9), START - timedelta(days=8), "", RuleBroken),
        (START + timedelta(hours=1), END + timedelta(hours=1), "", Conflict),
        (START + timedelta(days=1), END + timedelta(days=1), "x" * 501, RuleBroken),
        (START + timedelta(days=1), END + timedelta(days=1), "bell\x07", RuleBroken),
    ],
)
def test_schedule_refuses_bad_windows(db_session, window, starts, ends, message, error):
    with pytest.raises(error):
        schedule_window(db_session, starts_at=starts, ends_at=ends, message=message, actor=Actor.system())


def test_a_window_without_a_time_zone_is_refused_on_its_start(db_session):
    with pytest.raises(InvalidValue, match="time zone") as refused:
        schedule_window(
            db_session, starts_at=START.replace(tzinfo=None), ends_at=END, message="", actor=Actor.system(), now=START
        )
    assert refused.value.field == "starts_at"


def test_the_message_is_kept_on_one_line(db_session):
    created = schedule_window(
        db_session, starts_at=START, ends_at=END, message="  Latency\n fix  ", actor=Actor.system(), now=START
    )
    assert created.message == "Latency fix"


@pytest.mark.parametrize(
    ("now", "announced", "active"),
    [
        (START - timedelta(hours=48, seconds=1), False, False),
        (START - timedelta(hours=48), True, False),
        (START - timedelta(seconds=1), True, False),
        (START, True, True),
        (END - timedelta(seconds=1), True, True),
        (END, False, False),
    ],
)
def test_a_window_is_announced_from_48_hours_before_and_in_force_from_its_start_to_its_end(
    db_session, window, now, announced, active
):
    assert (announced_window(db_session, now) == window) is announced
    assert (active_window(db_session, now) == window) is active


def test_a_cancelled_window_is_neither_announced_nor_in_force_nor_cancelled_twice(db_session, window):
    cancel_window(db_session, window.id, actor=Actor.system(), now=START - timedelta(hours=1))
    assert announced_window(db_session, START) is None
    assert active_window(db_session, START) is None
    with pytest.raises(Conflict, match="already cancelled"):
        cancel_window(db_session, window.id, actor=Actor.system(), now=START)


def test_an_ended_or_unknown_window_cannot_be_cancelled(db_session, window):
    with pytest.raises(Conflict, match="already ended"):
        cancel_window(db_session, window.id, actor=Actor.system(), now=END)
    with pytest.raises(NotFound):
        cancel_window(db_session, window.id + 1000, actor=Actor.system(), now=START)


def test_the_sooner_of_two_windows_is_announced_and_the_operator_lists_the_latest_first(db_session, window):
    later = schedule_window(
        db_session,
        starts_at=END + timedelta(hours=1),
        ends_at=END + timedelta(hours=2),
        message="",
        actor=Actor.system(),
        now=START,
    )
    assert announced_window(db_session, START - timedelta(hours=1)) == window
    assert announced_window(db_session, END) == later
    assert upcoming_windows(db_session, START) == [later, window]
