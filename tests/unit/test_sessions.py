"""Point 8: server-side sessions with idle timeouts (30 minutes students, 15 officials) and 12 hours absolute."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from portal.models import utcnow
from portal.models.enums import Role
from portal.services.sessions import end_all_sessions, end_session, session_for_token, start_session
from tests.support.accounts import SYSTEM, user_events


@pytest.mark.parametrize(
    "role, idle_minutes",
    [
        (Role.STUDENT, 30),
        (Role.DSO, 15),
        (Role.PRINCIPAL_DSO, 15),
        (Role.SUPPORT, 15),
        (Role.OPERATOR, 15),
    ],
)
def test_idle_timeout_by_role(factory, db_session, role, idle_minutes):
    user = factory.user(role=role)
    start = utcnow()
    row, token = start_session(db_session, user, now=start)
    assert session_for_token(db_session, token, now=start + timedelta(minutes=idle_minutes - 1)) is row
    assert session_for_token(db_session, token, now=start + timedelta(minutes=2 * idle_minutes - 2, seconds=30)) is row
    assert session_for_token(db_session, token, now=start + timedelta(minutes=3 * idle_minutes)) is None
    assert row.ended_reason == "idle_timeout"
    assert session_for_token(db_session, token, now=start + timedelta(minutes=3 * idle_minutes)) is None


def test_absolute_timeout_after_12_hours_however_active(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    start = utcnow()
    row, token = start_session(db_session, user, now=start)
    for minutes in range(0, 12 * 60, 20):
        assert session_for_token(db_session, token, now=start + timedelta(minutes=minutes)) is row
    assert session_for_token(db_session, token, now=start + timedelta(hours=12)) is None
    assert row.ended_reason == "absolute_timeout"


def test_ended_session_and_unknown_tokens_are_refused(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    row, token = start_session(db_session, user)
    end_session(db_session, row)
    for candidate in (token, "made-up", "", None, "x" * 1000):
        assert session_for_token(db_session, candidate) is None


def test_only_the_hash_of_the_session_id_is_stored(factory, db_session):
    row, token = start_session(db_session, factory.user(role=Role.STUDENT))
    assert token not in row.token_hash and len(row.token_hash) == 64


def test_time_machine_controls_the_clock_for_sessions(factory, db_session):
    user = factory.user(role=Role.DSO)
    row, token = start_session(db_session, user)
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        assert session_for_token(db_session, token) is None


def test_end_all_sessions_ends_every_open_session_with_one_event(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    rows = [start_session(db_session, user)[0] for _ in range(3)]
    assert end_all_sessions(db_session, user, actor=SYSTEM, reason="test") == 3
    assert all(row.ended_at is not None for row in rows)
    assert len(user_events(db_session, user, "sessions.ended")) == 1
