"""The demo seed uses the account services: a pending invitation with a working link, a real lock, the forced change."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from portal.demo import seed
from portal.models import AccountLink, Event, OutboxEmail, User, utcnow
from portal.models.enums import LinkPurpose, Role
from portal.services.accounts import account_status, unlock_account
from portal.services.actors import Actor
from portal.services.clock import long_moment
from portal.services.throttling import is_locked, read_pauses


def test_demo_seed_has_an_invitation_a_lock_and_a_forced_change(db_session):
    summary = seed(db_session, students_per_school=13)
    labels = {account_status(user).label for user in db_session.scalars(select(User).where(User.role == Role.STUDENT))}
    assert {"invitation sent", "locked", "must change password", "active"} <= labels
    link = db_session.scalars(select(AccountLink).where(AccountLink.purpose == LinkPurpose.ACCOUNT_CREATION)).first()
    assert link is not None and "/account/create/" in summary
    assert "two-step verification" in summary


def test_the_demo_locked_student_stays_locked_until_a_dso_unlocks_it(db_session):
    seed(db_session, students_per_school=13)
    locked = [
        user
        for user in db_session.scalars(select(User).where(User.role == Role.STUDENT).order_by(User.id))
        if account_status(user).label == "locked"
    ][0]
    dso = db_session.scalars(
        select(User).where(User.role == Role.DSO, User.school_id == locked.student.school_id).order_by(User.id)
    ).first()
    for later in (timedelta(minutes=16), timedelta(days=1, minutes=1), timedelta(days=30)):
        with time_machine.travel(utcnow() + later, tick=False):
            assert is_locked(locked) and account_status(locked).label == "locked"
            assert read_pauses(db_session, locked.email, None, now=utcnow()).address  # the sign-in page's check
    with time_machine.travel(utcnow() + timedelta(days=1), tick=False):
        unlock_account(db_session, locked, actor=Actor.for_user(dso))
        assert not is_locked(locked) and not read_pauses(db_session, locked.email, None, now=utcnow()).address


def test_the_demo_lock_s_email_and_event_say_the_end_the_lock_has(db_session):
    """The demo's lock lasts until a DSO unlocks it: its email names that end, as the real email names a real one."""
    seed(db_session, students_per_school=13)
    locked = [
        user
        for user in db_session.scalars(select(User).where(User.role == Role.STUDENT).order_by(User.id))
        if account_status(user).label == "locked"
    ][0]
    assert locked.locked_until > utcnow() + timedelta(days=365)
    [email] = db_session.scalars(
        select(OutboxEmail).where(OutboxEmail.user_id == locked.id, OutboxEmail.template == "account_locked")
    ).all()
    end = long_moment(locked.locked_until)
    assert f"paused until {end}" in email.subject and f"You can sign in again after {end}" in email.body_text
    [event] = db_session.scalars(
        select(Event).where(Event.user_id == locked.id, Event.event_type == "account.locked")
    ).all()
    assert event.after["locked_until"][:16] == locked.locked_until.isoformat()[:16]
