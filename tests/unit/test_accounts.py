"""Rule 1 and the DSO's account actions: creation once, finishing it from the link, reset, unlock, resend, status."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.models import AccountLink, OutboxEmail, RecoveryCode, Upgrade, utcnow
from portal.models.enums import LinkPurpose, Role
from portal.services import accounts, mfa
from portal.services.account_links import find_link, issue_link, link_problem
from portal.services.actors import Actor
from portal.services.errors import Conflict, InvalidValue, NotFound, RuleBroken
from portal.services.sessions import start_session
from portal.services.sign_in import sign_in_with_password
from tests.support.accounts import NEW_PASSWORD, SYSTEM, invited_student, user_emails, user_events
from tests.support.factories import PASSWORD, latest_link_token


def test_approved_opt_creates_the_account_once_with_an_email_and_an_event(factory, db_session):
    student, user = invited_student(factory, db_session)
    assert user.role is Role.STUDENT and user.student_id == student.id and user.password_hash is None
    assert accounts.create_account_for_approved_opt(db_session, student, actor=SYSTEM) is None
    emails = user_emails(db_session, user)
    assert [email.template for email in emails] == ["account_creation"]
    link = db_session.scalars(select(AccountLink).where(AccountLink.user_id == user.id)).one()
    assert emails[0].sealed_secret == f"account_link:{link.id}"
    assert link.purpose is LinkPurpose.ACCOUNT_CREATION
    assert link.expires_at - link.created_at == timedelta(days=14)
    assert len(user_events(db_session, user, "account.invited")) == 1


def test_account_creation_refused_when_another_account_has_the_email(factory, db_session):
    student = factory.student()
    factory.user(role=Role.DSO, email=student.email)
    with pytest.raises(Conflict):
        accounts.create_account_for_approved_opt(db_session, student, actor=SYSTEM)


@pytest.mark.parametrize(
    ("opt", "starts_in", "refusal"),
    [
        ("approved", 1, "created on the OPT start date"),
        ("pending", -10, "no approved OPT"),
    ],
)
def test_rule_1_no_account_before_an_approved_opt_has_started(factory, db_session, opt, starts_in, refusal):
    today = date(2026, 3, 10)
    student = factory.student(opt=opt, opt_start=today + timedelta(days=starts_in), today=today)
    with pytest.raises(RuleBroken, match=refusal):
        accounts.create_account_for_approved_opt(db_session, student, actor=SYSTEM, today=today)
    assert accounts.create_account_if_due(db_session, student, actor=SYSTEM, today=today) is None
    assert (
        db_session.scalar(select(func.count()).select_from(OutboxEmail).where(OutboxEmail.student_id == student.id))
        == 0
    )
    if opt == "approved":
        user = accounts.create_account_if_due(db_session, student, actor=SYSTEM, today=today + timedelta(days=1))
        assert user is not None and user.student_id == student.id


def test_a_reset_before_the_opt_start_date_is_refused_with_the_date(factory, db_session):
    student = factory.student(opt_start=date.today() + timedelta(days=20))
    with pytest.raises(RuleBroken, match="created on the OPT start date"):
        accounts.reset_portal_account(db_session, student, actor=SYSTEM)


def test_finishing_creation_sets_the_password_and_uses_the_link_once(factory, db_session):
    student, user = invited_student(factory, db_session)
    link = find_link(db_session, latest_link_token(db_session, user), LinkPurpose.ACCOUNT_CREATION)
    accounts.finish_account_creation(db_session, link, sevis_id=student.sevis_id.lower(), password=NEW_PASSWORD)
    assert user.has_finished_account_creation and link.used_at is not None
    assert len(user_events(db_session, user, "account.created")) == 1
    with pytest.raises(RuleBroken, match="already used"):
        accounts.finish_account_creation(db_session, link, sevis_id=student.sevis_id, password=NEW_PASSWORD)


def test_three_wrong_sevis_ids_void_the_link(factory, db_session):
    student, user = invited_student(factory, db_session)
    link = find_link(db_session, latest_link_token(db_session, user), LinkPurpose.ACCOUNT_CREATION)
    for tries_left in (2, 1):
        with pytest.raises(InvalidValue, match=f"{tries_left} tr"):
            accounts.finish_account_creation(db_session, link, sevis_id="N9999999999", password=NEW_PASSWORD)
    with pytest.raises(RuleBroken, match="three times"):
        accounts.finish_account_creation(db_session, link, sevis_id="N9999999999", password=NEW_PASSWORD)
    assert link.voided_at is not None and user.password_hash is None
    with pytest.raises(RuleBroken, match="no longer works"):
        accounts.finish_account_creation(db_session, link, sevis_id=student.sevis_id, password=NEW_PASSWORD)


def test_creation_link_expires_after_14_days(factory, db_session):
    student, user = invited_student(factory, db_session)
    link = find_link(db_session, latest_link_token(db_session, user), LinkPurpose.ACCOUNT_CREATION)
    with time_machine.travel(utcnow() + timedelta(days=13, hours=23)):
        assert link_problem(link) is None
    with time_machine.travel(utcnow() + timedelta(days=14, minutes=1)):
        with pytest.raises(RuleBroken, match="expired"):
            accounts.finish_account_creation(db_session, link, sevis_id=student.sevis_id, password=NEW_PASSWORD)


def test_reset_portal_account_unlocks_voids_sends_ends_sessions_and_clears_mfa(factory, db_session):
    student = factory.student()
    user = factory.user(role=Role.STUDENT, student=student)
    old = issue_link(db_session, user, LinkPurpose.PASSWORD_RESET)
    user.locked_until, user.lock_count = utcnow() + timedelta(minutes=10), 1
    mfa.store_secret(db_session, user, "JBSWY3DPEHPK3PXP")
    user.mfa_enabled_at = utcnow()
    db_session.add(RecoveryCode(user_id=user.id, code_hash="x"))
    row, _ = start_session(db_session, user)
    dso = Actor.for_user(factory.user(role=Role.DSO, school=student.school))

    link = accounts.reset_portal_account(db_session, student, actor=dso, clear_mfa=True)

    assert old.voided_at is not None and link.voided_at is None and link.purpose is LinkPurpose.ACCOUNT_CREATION
    assert user.locked_until is None and user.lock_count == 0
    assert row.ended_at is not None and row.ended_reason == "account_reset"
    assert user.mfa_secret_encrypted is None and user.mfa_enabled_at is None
    assert db_session.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id)) == 0
    assert user_emails(db_session, user)[-1].template == "account_reset"
    for event_type in ("account.unlocked", "account.reset", "sessions.ended", "mfa.cleared"):
        assert len(user_events(db_session, user, event_type)) == 1, event_type


def test_reset_of_an_unfinished_account_resends_the_creation_email(factory, db_session):
    student, user = invited_student(factory, db_session)
    first = db_session.scalars(select(AccountLink).where(AccountLink.user_id == user.id)).one()
    link = accounts.reset_portal_account(db_session, student, actor=SYSTEM)
    assert first.voided_at is not None and link.id != first.id
    assert [email.template for email in user_emails(db_session, user)] == ["account_creation", "account_creation"]


def test_reset_refused_without_an_approved_opt(factory, db_session):
    student = factory.student(opt="pending")
    with pytest.raises(RuleBroken, match="no approved OPT"):
        accounts.reset_portal_account(db_session, student, actor=SYSTEM)


def test_reset_creates_the_account_when_an_approved_student_has_none(factory, db_session):
    student = factory.student()
    link = accounts.reset_portal_account(db_session, student, actor=SYSTEM)
    assert link.user.student_id == student.id and link.purpose is LinkPurpose.ACCOUNT_CREATION


def test_reset_account_link_lets_the_student_choose_a_new_password(factory, db_session):
    student = factory.student()
    user = factory.user(role=Role.STUDENT, student=student)
    link = accounts.reset_portal_account(db_session, student, actor=SYSTEM)
    accounts.finish_account_creation(db_session, link, sevis_id=student.sevis_id, password=NEW_PASSWORD)
    assert sign_in_with_password(db_session, user.email, NEW_PASSWORD).user is user
    assert len(user_events(db_session, user, "password.reset_completed")) == 1
    assert user_emails(db_session, user)[-1].template == "password_changed"


def test_reset_portal_account_voids_the_old_password_until_the_student_sets_a_new_one(factory, db_session):
    """DESIGN rule 1: after Reset Portal Account the old password no longer signs in; the link sets a new one, and the
    old one cannot simply be chosen again."""
    student = factory.student()
    user = factory.user(role=Role.STUDENT, student=student)
    assert sign_in_with_password(db_session, user.email, PASSWORD).user is user
    link = accounts.reset_portal_account(db_session, student, actor=SYSTEM)
    assert sign_in_with_password(db_session, user.email, PASSWORD).user is None
    assert user_events(db_session, user, "account.reset")[-1].after["password_voided"] is True
    with pytest.raises(RuleBroken):
        accounts.finish_account_creation(db_session, link, sevis_id=student.sevis_id, password=PASSWORD)
    accounts.finish_account_creation(db_session, link, sevis_id=student.sevis_id, password=NEW_PASSWORD)
    assert sign_in_with_password(db_session, user.email, NEW_PASSWORD).user is user
    assert user_events(db_session, user, "account.created") == []


def test_resend_refused_once_the_account_is_finished(factory, db_session):
    student = factory.student()
    factory.user(role=Role.STUDENT, student=student)
    with pytest.raises(Conflict, match="already finished"):
        accounts.resend_account_creation(db_session, student, actor=SYSTEM)


def test_resend_voids_the_old_link_and_writes_one_event(factory, db_session):
    student, user = invited_student(factory, db_session)
    old = db_session.scalars(select(AccountLink).where(AccountLink.user_id == user.id)).one()
    new = accounts.resend_account_creation(db_session, student, actor=SYSTEM)
    assert old.voided_at is not None and new.voided_at is None
    assert len(user_events(db_session, user, "account.link_resent")) == 1


def test_resend_without_an_account_is_not_found(factory, db_session):
    with pytest.raises(NotFound):
        accounts.resend_account_creation(db_session, factory.student(opt="pending"), actor=SYSTEM)


def test_unlock_refused_when_not_locked_and_clears_a_lock(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    with pytest.raises(Conflict):
        accounts.unlock_account(db_session, user, actor=SYSTEM)
    user.locked_until, user.lock_count, user.failed_sign_ins = utcnow() + timedelta(minutes=15), 2, 3
    accounts.unlock_account(db_session, user, actor=SYSTEM)
    assert (user.locked_until, user.lock_count, user.failed_sign_ins) == (None, 0, 0)
    assert len(user_events(db_session, user, "account.unlocked")) == 1


@pytest.mark.parametrize(
    "state, label",
    [
        ("none", "not created"),
        ("invited", "invitation sent"),
        ("active", "active"),
        ("locked", "locked"),
        ("old_password", "must change password"),
    ],
)
def test_account_status_labels(factory, db_session, state, label):
    user = None
    if state == "invited":
        _, user = invited_student(factory, db_session)
    elif state != "none":
        user = factory.user(role=Role.STUDENT)
    if state == "locked":
        user.locked_until = utcnow() + timedelta(minutes=5)
    if state == "old_password":
        user.password_changed_at = utcnow() - timedelta(days=3)
        db_session.add(Upgrade(completed_at=utcnow() - timedelta(days=1), force_password_change=True))
        db_session.flush()
    status = accounts.account_status(user)
    assert status.label == label
    assert status.action("unlock").enabled is (state == "locked")
    assert status.action("resend").enabled is (state == "invited")
    assert status.action("reset").enabled


def test_account_status_gives_the_reason_an_action_is_off(factory, db_session):
    status = accounts.account_status(factory.user(role=Role.STUDENT))
    assert status.action("unlock").reason == "The account is not locked."
    assert "Reset Portal Account" in status.action("resend").reason
    assert status.mfa_on is False and status.action("clear_mfa").enabled is False
