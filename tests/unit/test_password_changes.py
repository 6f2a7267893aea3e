"""Choosing a new password from a reset link or signed in: the checks, the sessions it ends, the notice, no secret kept."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import Event, PasswordHistory, utcnow
from portal.models.enums import LinkPurpose, Role
from portal.services.account_links import find_link
from portal.services.errors import InvalidValue, RuleBroken
from portal.services.password_changes import change_password, complete_password_reset
from portal.services.passwords import verify_password
from portal.services.reset_requests import answer_password_reset
from portal.services.sessions import start_session
from portal.services.sign_in import sign_in_with_password
from tests.support.accounts import ACCENTED_NFC, ACCENTED_NFD, NEW_PASSWORD, user_emails, user_events
from tests.support.factories import PASSWORD, latest_link_token
from tests.support.hashing import count_argon2_runs


def test_completing_a_reset_unlocks_ends_sessions_and_emails_a_notice(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    user.locked_until, user.lock_count = utcnow() + timedelta(minutes=15), 1
    row, _ = start_session(db_session, user)
    answer_password_reset(db_session, user.email)
    link = find_link(db_session, latest_link_token(db_session, user), LinkPurpose.PASSWORD_RESET)
    complete_password_reset(db_session, link, password=NEW_PASSWORD)
    assert user.locked_until is None and row.ended_at is not None and link.used_at is not None
    assert user_emails(db_session, user)[-1].template == "password_changed"
    assert sign_in_with_password(db_session, user.email, NEW_PASSWORD).user is user
    for event_type in ("account.unlocked", "password.reset_completed", "sessions.ended"):
        assert len(user_events(db_session, user, event_type)) == 1, event_type
    with pytest.raises(RuleBroken, match="already used"):
        complete_password_reset(db_session, link, password=NEW_PASSWORD + "x")


def test_change_password_needs_the_current_one_and_keeps_only_this_session(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    this, _ = start_session(db_session, user)
    other, _ = start_session(db_session, user)
    with pytest.raises(InvalidValue) as refused:
        change_password(db_session, user, current_password="wrong password here", new_password=NEW_PASSWORD)
    assert refused.value.field == "current_password"
    change_password(db_session, user, current_password=PASSWORD, new_password=NEW_PASSWORD, keep=this)
    assert this.ended_at is None and other.ended_at is not None
    assert len(user_events(db_session, user, "password.changed")) == 1


@pytest.mark.parametrize("set_as, typed_as", [(ACCENTED_NFC, ACCENTED_NFD), (ACCENTED_NFD, ACCENTED_NFC)])
def test_change_password_accepts_the_current_password_in_either_unicode_form_as_sign_in_does(
    factory, db_session, set_as, typed_as
):
    assert set_as != typed_as and unicodedata.normalize("NFC", typed_as) == unicodedata.normalize("NFC", set_as)
    user = factory.user(role=Role.STUDENT)
    change_password(db_session, user, current_password=PASSWORD, new_password=set_as)
    assert sign_in_with_password(db_session, user.email, typed_as).user is user
    change_password(db_session, user, current_password=typed_as, new_password=NEW_PASSWORD)
    assert sign_in_with_password(db_session, user.email, NEW_PASSWORD).user is user


def test_new_password_cannot_be_the_current_one_or_the_one_before_it(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    second, third = f"{NEW_PASSWORD} 2", f"{NEW_PASSWORD} 3"
    change_password(db_session, user, current_password=PASSWORD, new_password=second)
    change_password(db_session, user, current_password=second, new_password=third)
    with pytest.raises(InvalidValue, match="This is your current password") as current:
        change_password(db_session, user, current_password=third, new_password=third)
    with pytest.raises(InvalidValue, match="You used this password before") as before:
        change_password(db_session, user, current_password=third, new_password=second)
    assert current.value.field == before.value.field == "password"
    assert sign_in_with_password(db_session, user.email, third).user is user  # both refusals changed nothing
    change_password(db_session, user, current_password=third, new_password=PASSWORD)  # two back: allowed
    assert sign_in_with_password(db_session, user.email, PASSWORD).user is user
    kept = db_session.scalars(select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)).all()
    assert len(kept) == 1 and verify_password(kept[0], third)  # older hashes, never checked, are not kept


@pytest.mark.parametrize("earlier_changes, runs", [(0, 3), (1, 4), (9, 4)])
def test_a_forced_change_costs_at_most_four_argon2_runs_with_its_sign_in(
    factory, db_session, monkeypatch, earlier_changes, runs
):
    """Sign-in (one check), then the change: the current password checked once (reuse is then compared as text),
    the one before it (when there is one) checked, the new one hashed. It was up to 11 with a history of eight."""
    user = factory.user(role=Role.STUDENT)
    current = PASSWORD
    for number in range(earlier_changes):
        change_password(db_session, user, current_password=current, new_password=f"{NEW_PASSWORD} {number}")
        current = f"{NEW_PASSWORD} {number}"
    counted = count_argon2_runs(monkeypatch)
    assert sign_in_with_password(db_session, user.email, current).user is user
    change_password(db_session, user, current_password=current, new_password="quiet lantern over the river")
    assert counted == ["verify"] * (runs - 1) + ["hash"]


def test_no_secret_appears_in_events_or_email_bodies(factory, db_session):
    student = factory.student()
    user = factory.user(role=Role.STUDENT, student=student)
    answer_password_reset(db_session, user.email)
    token = latest_link_token(db_session, user)
    link = find_link(db_session, token, LinkPurpose.PASSWORD_RESET)
    complete_password_reset(db_session, link, password=NEW_PASSWORD)
    events = db_session.scalars(select(Event).where(Event.user_id == user.id)).all()
    stored = repr([(e.before, e.after, e.subject) for e in events]) + "".join(
        e.body_text + e.body_html for e in user_emails(db_session, user)
    )
    for secret in (token, NEW_PASSWORD, PASSWORD, link.token_hash, user.password_hash):
        assert secret not in stored
