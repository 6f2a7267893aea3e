"""The process's copy of maintenance windows and the last forcing upgrade: exact on the clock, fresh within seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.maintenance import cancel_window, schedule_window
from portal.services.site_state import REFRESH_SECONDS, site_state
from portal.services.upgrades import complete_upgrade

NOW = datetime(2024, 3, 18, 12, 0, tzinfo=UTC)


def _window(db_session, starts_in: timedelta, lasts: timedelta = timedelta(hours=2)):
    return schedule_window(
        db_session,
        starts_at=NOW + starts_in,
        ends_at=NOW + starts_in + lasts,
        message="",
        actor=Actor.system(),
        now=NOW,
    )


def _window_from_another_server(db_session, starts_at: datetime, ends_at: datetime) -> None:
    """Written with plain SQL, as another process would: this process hears nothing of it."""
    db_session.execute(
        text("INSERT INTO maintenance_windows (starts_at, ends_at, message, created_at) VALUES (:s, :e, '', :c)"),
        {"s": starts_at, "e": ends_at, "c": NOW},
    )


def test_read_once_then_answered_without_statements(db_session, count_queries):
    _window(db_session, timedelta(hours=1))
    db_session.commit()
    with count_queries(periodic=True) as first:
        site_state(db_session, NOW)
    with count_queries(periodic=True) as later:
        state = site_state(db_session, NOW + timedelta(seconds=REFRESH_SECONDS - 1))
    assert first["count"] == 2 and later["count"] == 0
    assert state.announced_window(NOW) is not None and state.active_window(NOW) is None


def test_the_refresh_is_marked_so_per_request_counts_leave_it_out(db_session, count_queries):
    with count_queries() as per_request, count_queries(periodic=True) as every:
        site_state(db_session, NOW)
    assert per_request["count"] == 0 and every["count"] == 2


def test_a_window_starting_while_the_copy_is_held_is_in_force_at_its_exact_start(db_session, count_queries):
    window = _window(db_session, timedelta(seconds=2))
    db_session.commit()
    site_state(db_session, NOW)
    with count_queries(periodic=True) as counter:
        just_before = site_state(db_session, window.starts_at - timedelta(microseconds=1))
        at_start = site_state(db_session, window.starts_at)
    assert counter["count"] == 0
    assert just_before.active_window(window.starts_at - timedelta(microseconds=1)) is None
    assert at_start.active_window(window.starts_at).id == window.id


def test_a_window_ending_while_the_copy_is_held_is_over_at_its_exact_end(db_session):
    window = _window(db_session, -timedelta(hours=2), lasts=timedelta(hours=2, seconds=1))
    db_session.commit()
    assert site_state(db_session, NOW).active_window(NOW).id == window.id
    assert site_state(db_session, window.ends_at).active_window(window.ends_at) is None


def test_another_servers_window_is_seen_within_the_refresh_time(db_session):
    site_state(db_session, NOW)
    _window_from_another_server(db_session, NOW + timedelta(minutes=1), NOW + timedelta(hours=1))
    assert site_state(db_session, NOW + timedelta(seconds=1)).announced_window(NOW + timedelta(seconds=1)) is None
    later = NOW + timedelta(seconds=REFRESH_SECONDS)
    assert site_state(db_session, later).announced_window(later) is not None


def test_another_servers_window_starting_within_the_refresh_time_is_in_force_on_time(db_session):
    """The copy holds every window that can start before it is read again, even one not yet announced."""
    starts = NOW + timedelta(hours=48, seconds=REFRESH_SECONDS - 1)
    _window_from_another_server(db_session, starts, starts + timedelta(hours=1))
    state = site_state(db_session, NOW)
    assert state.announced_window(NOW) is None
    moment = NOW + timedelta(seconds=REFRESH_SECONDS - 1)
    assert site_state(db_session, moment) is state and state.announced_window(moment) is not None


@pytest.mark.parametrize("commit", [True, False])
def test_a_change_in_this_process_is_seen_at_once(db_session, commit):
    site_state(db_session, NOW)
    window = _window(db_session, timedelta(minutes=1))
    if commit:
        db_session.commit()
    assert site_state(db_session, NOW).announced_window(NOW).id == window.id
    cancel_window(db_session, window.id, actor=Actor.system(), now=NOW)
    if commit:
        db_session.commit()
    assert site_state(db_session, NOW).announced_window(NOW) is None


def test_a_forcing_upgrade_in_this_process_is_seen_at_once(db_session, factory):
    operator = factory.user(role=Role.OPERATOR)
    assert site_state(db_session).forcing_upgrade is None
    upgrade = complete_upgrade(db_session, actor=Actor.for_user(operator), force_password_change=True)
    db_session.commit()
    assert site_state(db_session).forcing_upgrade.id == upgrade.id
    complete_upgrade(db_session, actor=Actor.for_user(operator), force_password_change=False)
    assert site_state(db_session).forcing_upgrade.id == upgrade.id


def test_a_clock_set_back_reads_again(db_session):
    """Time travel in tests: a copy read later than now does not answer for now."""
    _window_from_another_server(db_session, NOW - timedelta(days=2), NOW - timedelta(days=1))
    assert site_state(db_session, NOW).active_window(NOW) is None
    earlier = NOW - timedelta(days=1, hours=1)
    assert site_state(db_session, earlier).active_window(earlier) is not None
