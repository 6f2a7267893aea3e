"""Point 3: five failures cool the account down for 15 minutes, doubling each further lock; never permanent."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.models import Event, utcnow
from portal.models.enums import Role
from portal.services.accounts import sign_in_with_password
from portal.services.throttling import cool_down_for
from tests.support.factories import PASSWORD


@pytest.mark.parametrize("lock_count, minutes", [(1, 15), (2, 30), (3, 60), (4, 120), (10, 24 * 60), (50, 24 * 60)])
def test_cool_down_doubles_and_is_capped(lock_count, minutes):
    assert cool_down_for(lock_count) == timedelta(minutes=minutes)


def _fail(session, user, times):
    result = None
    for _ in range(times):
        result = sign_in_with_password(session, user.email, "not the password at all")
    return result


def test_fifth_failure_locks_for_15_minutes_even_for_the_right_password(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    assert _fail(db_session, user, 4).locked_until is None
    result = _fail(db_session, user, 1)
    assert result.locked_until is not None
    assert timedelta(minutes=14) < result.locked_until - utcnow() <= timedelta(minutes=15)
    refused = sign_in_with_password(db_session, user.email, PASSWORD)
    assert refused.user is None and refused.locked_until == user.locked_until
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        assert sign_in_with_password(db_session, user.email, PASSWORD).user is user


def test_second_lock_lasts_twice_as_long(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    _fail(db_session, user, 5)
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        result = _fail(db_session, user, 5)
        assert timedelta(minutes=29) < result.locked_until - utcnow() <= timedelta(minutes=30)


def test_success_resets_the_count(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    _fail(db_session, user, 4)
    assert sign_in_with_password(db_session, user.email, PASSWORD).user is user
    assert _fail(db_session, user, 4).locked_until is None


def test_each_attempt_writes_one_event_and_the_lock_one_more(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    _fail(db_session, user, 5)
    sign_in_with_password(db_session, user.email, PASSWORD)
    types = db_session.scalars(select(Event.event_type).where(Event.user_id == user.id).order_by(Event.id)).all()
    assert types == ["sign_in.failed"] * 5 + ["account.locked", "sign_in.failed"]
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        sign_in_with_password(db_session, user.email, PASSWORD)
    assert db_session.scalars(select(Event.event_type).where(Event.user_id == user.id).order_by(Event.id.desc())).first() == "sign_in.succeeded"


def test_unknown_email_fails_without_revealing_anything(factory, db_session):
    result = sign_in_with_password(db_session, "nobody@example.edu", PASSWORD)
    assert result.user is None and result.locked_until is None


def test_account_without_a_password_cannot_sign_in(factory, db_session):
    user = factory.user(role=Role.STUDENT, password=None)
    assert sign_in_with_password(db_session, user.email, "").user is None
