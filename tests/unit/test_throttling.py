"""Point 3: five failures cool the account down for 15 minutes, doubling each further lock; never permanent.
Issue 14: the pause tells nobody which addresses have accounts and cannot keep the owner out (rule 18)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.models import Event, OutboxEmail, SignInThrottle, utcnow
from portal.models.enums import LinkPurpose, Role
from portal.services import sign_in as sign_in_service  # not the sign_in fixture
from portal.services.account_links import issue_link
from portal.services.password_changes import complete_password_reset
from portal.services.sign_in import SignInResult, sign_in_with_password
from portal.services.throttling import CLIENT_FAILURES_BEFORE_LOCK, FAILURES_BEFORE_LOCK, cool_down_for, is_locked
from tests.support.factories import PASSWORD

NEW_PASSWORD = "violet harbor seventy kites"


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
    _fail(db_session, user, 4)
    assert user.locked_until is None
    _fail(db_session, user, 1)
    assert timedelta(minutes=14) < user.locked_until - utcnow() <= timedelta(minutes=15)
    assert sign_in_with_password(db_session, user.email, PASSWORD).user is None
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        assert sign_in_with_password(db_session, user.email, PASSWORD).user is user


def test_second_lock_lasts_twice_as_long(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    _fail(db_session, user, 5)
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        _fail(db_session, user, 5)
        assert timedelta(minutes=29) < user.locked_until - utcnow() <= timedelta(minutes=30)


def test_success_resets_the_count(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    _fail(db_session, user, 4)
    assert sign_in_with_password(db_session, user.email, PASSWORD).user is user
    _fail(db_session, user, 4)
    assert user.locked_until is None


def test_each_attempt_writes_one_event_and_the_lock_one_more(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    _fail(db_session, user, 5)
    sign_in_with_password(db_session, user.email, PASSWORD)
    types = db_session.scalars(select(Event.event_type).where(Event.user_id == user.id).order_by(Event.id)).all()
    assert types == ["sign_in.failed"] * 5 + ["account.locked", "sign_in.failed"]
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        sign_in_with_password(db_session, user.email, PASSWORD)
    assert (
        db_session.scalars(select(Event.event_type).where(Event.user_id == user.id).order_by(Event.id.desc())).first()
        == "sign_in.succeeded"
    )


def test_account_without_a_password_cannot_sign_in(factory, db_session):
    user = factory.user(role=Role.STUDENT, password=None)
    assert sign_in_with_password(db_session, user.email, "").user is None


# ---------------------------------------------------------------- issue 14: a lockout that tells nobody anything


def _counting_verifications(monkeypatch) -> list:
    calls = []
    real = sign_in_service.verify_password

    def counted(stored_hash, password):
        calls.append(stored_hash)
        return real(stored_hash, password)

    monkeypatch.setattr(sign_in_service, "verify_password", counted)
    return calls


def _shape(statement: str) -> str:
    """A statement without its parameter values' placeholders' numbering (psycopg names them)."""
    return re.sub(r"%\(\w+\)s|\?", "?", " ".join(statement.split()))


def test_known_unknown_and_paused_addresses_run_the_same_statements_and_one_verification(
    factory, db_session, count_queries, monkeypatch
):
    known, paused = factory.user(role=Role.STUDENT), factory.user(role=Role.STUDENT)
    _fail(db_session, paused, FAILURES_BEFORE_LOCK)
    assert paused.locked_until is not None
    unknown = "nobody.here@example.edu"
    for address in (known.email, unknown):  # each address has failed before, as the paused one has
        sign_in_with_password(db_session, address, "not the password at all", client="192.0.2.7")
    verifications = _counting_verifications(monkeypatch)
    seen = {}
    for name, address, password in [
        ("known", known.email, "not the password at all"),
        ("unknown", unknown, "not the password at all"),
        ("paused, the right password", paused.email, PASSWORD),
    ]:
        with count_queries() as counter:
            result = sign_in_with_password(db_session, address, password, client="192.0.2.7")
        assert result == SignInResult(None), name
        seen[name] = [_shape(statement) for statement in counter["statements"]]
    assert seen["known"] == seen["unknown"] == seen["paused, the right password"]
    assert len(verifications) == 3  # one argon2 check each, a throwaway hash for the unknown and the paused


def test_an_unknown_address_is_paused_like_a_known_one_but_nobody_is_emailed(factory, db_session):
    for _ in range(FAILURES_BEFORE_LOCK):
        sign_in_with_password(db_session, "nobody.here@example.edu", "guess", client="192.0.2.7")
    [row] = db_session.scalars(select(SignInThrottle).where(SignInThrottle.locked_until.is_not(None))).all()
    assert "nobody" not in row.key and timedelta(minutes=14) < row.locked_until - utcnow() <= timedelta(minutes=15)
    assert db_session.scalars(select(OutboxEmail.template)).all() == []


def test_the_owner_hears_once_per_pause_however_often_it_is_tried(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    _fail(db_session, user, FAILURES_BEFORE_LOCK * 4)  # 20 tries, all but the first five while paused
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        _fail(db_session, user, FAILURES_BEFORE_LOCK)
    emails = db_session.scalars(select(OutboxEmail.template).where(OutboxEmail.user_id == user.id)).all()
    assert emails == ["account_locked", "account_locked"]


def test_one_client_spraying_many_addresses_is_paused_and_others_are_not(factory, db_session):
    owner = factory.user(role=Role.STUDENT)
    owner.password_changed_at = utcnow() - timedelta(days=30)  # not just reset (that would pass the client's pause)
    for number in range(CLIENT_FAILURES_BEFORE_LOCK):
        sign_in_with_password(db_session, f"guess{number}@example.edu", "Spring2026!", client="203.0.113.9")
    assert sign_in_with_password(db_session, owner.email, PASSWORD, client="203.0.113.9").user is None
    assert owner.locked_until is None  # the owner's address is not paused: their own network still lets them in
    assert sign_in_with_password(db_session, owner.email, PASSWORD, client="198.51.100.4").user is owner


@pytest.mark.parametrize("quiet, paused", [(timedelta(hours=23), True), (timedelta(hours=25), False)])
def test_an_address_forgets_its_failures_after_a_quiet_day(factory, db_session, quiet, paused):
    user = factory.user(role=Role.STUDENT)
    _fail(db_session, user, FAILURES_BEFORE_LOCK - 1)
    with time_machine.travel(utcnow() + quiet):
        _fail(db_session, user, 1)
        assert is_locked(user) is paused


def test_the_owner_gets_back_in_through_the_reset_link_while_address_and_client_are_paused(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    user.password_changed_at = utcnow() - timedelta(days=30)
    for number in range(CLIENT_FAILURES_BEFORE_LOCK):
        sign_in_with_password(db_session, f"guess{number}@example.edu", "guess", client="203.0.113.9")
    for _ in range(FAILURES_BEFORE_LOCK):
        sign_in_with_password(db_session, user.email, "guess", client="203.0.113.9")
    assert (
        is_locked(user) and sign_in_with_password(db_session, user.email, PASSWORD, client="203.0.113.9").user is None
    )
    link = issue_link(db_session, user, LinkPurpose.PASSWORD_RESET)
    complete_password_reset(db_session, link, password=NEW_PASSWORD)
    assert sign_in_with_password(db_session, user.email, NEW_PASSWORD, client="203.0.113.9").user is user
