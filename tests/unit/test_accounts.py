"""Rule 1 and the DSO's account actions: creation once, hashed single-use links, reset, unlock, resend, status."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.mail.outbox import resolve_link
from portal.models import AccountLink, Event, OutboxEmail, RecoveryCode, Upgrade, utcnow
from portal.models.enums import LinkPurpose, Role
from portal.services import accounts, mfa
from portal.services.actors import Actor
from portal.services.errors import Conflict, InvalidValue, NotFound, RuleBroken
from portal.services.reset_requests import answer_reset_requests
from portal.services.sessions import start_session
from tests.support.factories import PASSWORD, latest_link_token

SYSTEM = Actor.system("Test")
NEW_PASSWORD = "violet harbor seventy kites"


def _events(session, user, event_type):
    return session.scalars(select(Event).where(Event.user_id == user.id, Event.event_type == event_type)).all()


def _emails(session, user, template=None):
    query = select(OutboxEmail).where(OutboxEmail.user_id == user.id)
    if template:
        query = query.where(OutboxEmail.template == template)
    return session.scalars(query.order_by(OutboxEmail.id)).all()


def _invited(factory, db_session):
    student = factory.student()
    user = accounts.create_account_for_approved_opt(db_session, student, actor=SYSTEM)
    return student, user


def test_approved_opt_creates_the_account_once_with_an_email_and_an_event(factory, db_session):
    student, user = _invited(factory, db_session)
    assert user.role is Role.STUDENT and user.student_id == student.id and user.password_hash is None
    assert accounts.create_account_for_approved_opt(db_session, student, actor=SYSTEM) is None
    emails = _emails(db_session, user)
    assert [email.template for email in emails] == ["account_creation"]
    link = db_session.scalars(select(AccountLink).where(AccountLink.user_id == user.id)).one()
    assert emails[0].sealed_secret == f"account_link:{link.id}"
    assert link.purpose is LinkPurpose.ACCOUNT_CREATION
    assert link.expires_at - link.created_at == timedelta(days=14)
    assert len(_events(db_session, user, "account.invited")) == 1


def test_only_the_tokens_hash_is_stored_and_the_resolver_builds_the_url(factory, db_session, app):
    _, user = _invited(factory, db_session)
    token = latest_link_token(db_session, user)
    link = db_session.scalars(select(AccountLink).where(AccountLink.user_id == user.id)).one()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in link.token_hash and token not in link.salt
    email = _emails(db_session, user)[0]
    assert token not in email.body_text and token not in email.body_html
    assert resolve_link(db_session, email) == app.config["BASE_URL"] + "/account/create/" + token


def test_account_creation_refused_when_another_account_has_the_email(factory, db_session):
    student = factory.student()
    factory.user(role=Role.DSO, email=student.email)
    with pytest.raises(Conflict):
        accounts.create_account_for_approved_opt(db_session, student, actor=SYSTEM)


@pytest.mark.parametrize(("opt", "starts_in", "refusal"), [
    ("approved", 1, "created on the OPT start date"),
    ("pending", -10, "no approved OPT"),
])  # fmt: skip
def test_rule_1_no_account_before_an_approved_opt_has_started(factory, db_session, opt, starts_in, refusal):
    today = date(2026, 3, 10)
    student = factory.student(opt=opt, opt_start=today + timedelta(days=starts_in), today=today)
    with pytest.raises(RuleBroken, match=refusal):
        accounts.create_account_for_approved_opt(db_session, student, actor=SYSTEM, today=today)
    assert accounts.create_account_if_due(db_session, student, actor=SYSTEM, today=today) is None
    assert db_session.scalar(select(func.count()).select_from(OutboxEmail)
                             .where(OutboxEmail.student_id == student.id)) == 0  # fmt: skip
    if opt == "approved":
        user = accounts.create_account_if_due(db_session, student, actor=SYSTEM, today=today + timedelta(days=1))
        assert user is not None and user.student_id == student.id


def test_a_reset_before_the_opt_start_date_is_refused_with_the_date(factory, db_session):
    student = factory.student(opt_start=date.today() + timedelta(days=20))
    with pytest.raises(RuleBroken, match="created on the OPT start date"):
        accounts.reset_portal_account(db_session, student, actor=SYSTEM)


def test_finishing_creation_sets_the_password_and_uses_the_link_once(factory, db_session):
    student, user = _invited(factory, db_session)
    link = accounts.find_link(db_session, latest_link_token(db_session, user), LinkPurpose.ACCOUNT_CREATION)
    accounts.finish_account_creation(db_session, link, sevis_id=student.sevis_id.lower(), password=NEW_PASSWORD)
    assert user.has_finished_account_creation and link.used_at is not None
    assert len(_events(db_session, user, "account.created")) == 1
    with pytest.raises(RuleBroken, match="already used"):
        accounts.finish_account_creation(db_session, link, sevis_id=student.sevis_id, password=NEW_PASSWORD)


def test_three_wrong_sevis_ids_void_the_link(factory, db_session):
    student, user = _invited(factory, db_session)
    link = accounts.find_link(db_session, latest_link_token(db_session, user), LinkPurpose.ACCOUNT_CREATION)
    for tries_left in (2, 1):
        with pytest.raises(InvalidValue, match=f"{tries_left} tr"):
            accounts.finish_account_creation(db_session, link, sevis_id="N9999999999", password=NEW_PASSWORD)
    with pytest.raises(RuleBroken, match="three times"):
        accounts.finish_account_creation(db_session, link, sevis_id="N9999999999", password=NEW_PASSWORD)
    assert link.voided_at is not None and user.password_hash is None
    with pytest.raises(RuleBroken, match="no longer works"):
        accounts.finish_account_creation(db_session, link, sevis_id=student.sevis_id, password=NEW_PASSWORD)


def test_creation_link_expires_after_14_days(factory, db_session):
    student, user = _invited(factory, db_session)
    link = accounts.find_link(db_session, latest_link_token(db_session, user), LinkPurpose.ACCOUNT_CREATION)
    with time_machine.travel(utcnow() + timedelta(days=13, hours=23)):
        assert accounts.link_problem(link) is None
    with time_machine.travel(utcnow() + timedelta(days=14, minutes=1)):
        with pytest.raises(RuleBroken, match="expired"):
            accounts.finish_account_creation(db_session, link, sevis_id=student.sevis_id, password=NEW_PASSWORD)


def test_reset_portal_account_unlocks_voids_sends_ends_sessions_and_clears_mfa(factory, db_session):
    student = factory.student()
    user = factory.user(role=Role.STUDENT, student=student)
    old = accounts.issue_link(db_session, user, LinkPurpose.PASSWORD_RESET)
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
    assert _emails(db_session, user)[-1].template == "account_reset"
    for event_type in ("account.unlocked", "account.reset", "sessions.ended", "mfa.cleared"):
        assert len(_events(db_session, user, event_type)) == 1, event_type


def test_reset_of_an_unfinished_account_resends_the_creation_email(factory, db_session):
    student, user = _invited(factory, db_session)
    first = db_session.scalars(select(AccountLink).where(AccountLink.user_id == user.id)).one()
    link = accounts.reset_portal_account(db_session, student, actor=SYSTEM)
    assert first.voided_at is not None and link.id != first.id
    assert [email.template for email in _emails(db_session, user)] == ["account_creation", "account_creation"]


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
    assert accounts.sign_in_with_password(db_session, user.email, NEW_PASSWORD).user is user
    assert len(_events(db_session, user, "password.reset_completed")) == 1
    assert _emails(db_session, user)[-1].template == "password_changed"


def test_reset_portal_account_voids_the_old_password_until_the_student_sets_a_new_one(factory, db_session):
    """DESIGN rule 1: after Reset Portal Account the old password no longer signs in; the link sets a new one, and the
    old one cannot simply be chosen again."""
    student = factory.student()
    user = factory.user(role=Role.STUDENT, student=student)
    assert accounts.sign_in_with_password(db_session, user.email, PASSWORD).user is user
    link = accounts.reset_portal_account(db_session, student, actor=SYSTEM)
    assert accounts.sign_in_with_password(db_session, user.email, PASSWORD).user is None
    assert _events(db_session, user, "account.reset")[-1].after["password_voided"] is True
    with pytest.raises(RuleBroken):
        accounts.finish_account_creation(db_session, link, sevis_id=student.sevis_id, password=PASSWORD)
    accounts.finish_account_creation(db_session, link, sevis_id=student.sevis_id, password=NEW_PASSWORD)
    assert accounts.sign_in_with_password(db_session, user.email, NEW_PASSWORD).user is user
    assert _events(db_session, user, "account.created") == []


def test_resend_refused_once_the_account_is_finished(factory, db_session):
    student = factory.student()
    factory.user(role=Role.STUDENT, student=student)
    with pytest.raises(Conflict, match="already finished"):
        accounts.resend_account_creation(db_session, student, actor=SYSTEM)


def test_resend_voids_the_old_link_and_writes_one_event(factory, db_session):
    student, user = _invited(factory, db_session)
    old = db_session.scalars(select(AccountLink).where(AccountLink.user_id == user.id)).one()
    new = accounts.resend_account_creation(db_session, student, actor=SYSTEM)
    assert old.voided_at is not None and new.voided_at is None
    assert len(_events(db_session, user, "account.link_resent")) == 1


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
    assert len(_events(db_session, user, "account.unlocked")) == 1


def test_end_all_sessions_ends_every_open_session_with_one_event(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    rows = [start_session(db_session, user)[0] for _ in range(3)]
    assert accounts.end_all_sessions(db_session, user, actor=SYSTEM, reason="test") == 3
    assert all(row.ended_at is not None for row in rows)
    assert len(_events(db_session, user, "sessions.ended")) == 1


@pytest.mark.parametrize("state, label", [
    ("none", "not created"), ("invited", "invitation sent"), ("active", "active"),
    ("locked", "locked"), ("old_password", "must change password"),
])  # fmt: skip
def test_account_status_labels(factory, db_session, state, label):
    user = None
    if state == "invited":
        _, user = _invited(factory, db_session)
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


def test_self_service_reset_link_lasts_30_minutes_and_an_unknown_address_gets_a_note_instead(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    assert accounts.answer_password_reset(db_session, " Nobody@Example.edu ")
    note = db_session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()
    assert note.template == "password_reset_no_account" and note.to_address == "nobody@example.edu"
    assert note.student_id is None and note.user_id is None and note.sealed_secret is None
    assert "no active account uses it" in note.body_text and "/password/reset" in note.body_text
    assert accounts.answer_password_reset(db_session, user.email.upper())
    link = db_session.scalars(select(AccountLink).where(AccountLink.user_id == user.id)).one()
    assert link.purpose is LinkPurpose.PASSWORD_RESET and link.expires_at - link.created_at == timedelta(minutes=30)
    assert _emails(db_session, user)[-1].template == "password_reset"
    assert len(_events(db_session, user, "password.reset_requested")) == 1
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        assert "expired" in accounts.link_problem(link)


def test_completing_a_reset_unlocks_ends_sessions_and_emails_a_notice(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    user.locked_until, user.lock_count = utcnow() + timedelta(minutes=15), 1
    row, _ = start_session(db_session, user)
    accounts.answer_password_reset(db_session, user.email)
    link = accounts.find_link(db_session, latest_link_token(db_session, user), LinkPurpose.PASSWORD_RESET)
    accounts.complete_password_reset(db_session, link, password=NEW_PASSWORD)
    assert user.locked_until is None and row.ended_at is not None and link.used_at is not None
    assert _emails(db_session, user)[-1].template == "password_changed"
    assert accounts.sign_in_with_password(db_session, user.email, NEW_PASSWORD).user is user
    for event_type in ("account.unlocked", "password.reset_completed", "sessions.ended"):
        assert len(_events(db_session, user, event_type)) == 1, event_type
    with pytest.raises(RuleBroken, match="already used"):
        accounts.complete_password_reset(db_session, link, password=NEW_PASSWORD + "x")


def test_reset_request_for_an_unfinished_account_resends_the_creation_link(factory, db_session):
    _, user = _invited(factory, db_session)
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        accounts.answer_password_reset(db_session, user.email)
    assert [email.template for email in _emails(db_session, user)] == ["account_creation", "account_creation"]


def test_change_password_needs_the_current_one_and_keeps_only_this_session(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    this, _ = start_session(db_session, user)
    other, _ = start_session(db_session, user)
    with pytest.raises(InvalidValue) as refused:
        accounts.change_password(db_session, user, current_password="wrong password here", new_password=NEW_PASSWORD)
    assert refused.value.field == "current_password"
    accounts.change_password(db_session, user, current_password=PASSWORD, new_password=NEW_PASSWORD, keep=this)
    assert this.ended_at is None and other.ended_at is not None
    assert len(_events(db_session, user, "password.changed")) == 1


# "crème brûlée" as one code point per accented letter (NFC), and as letter plus combining accent (NFD), as some
# keyboards and password managers send it.
ACCENTED_NFC = "cr\u00e8me br\u00fbl\u00e9e harbor kites"
ACCENTED_NFD = unicodedata.normalize("NFD", ACCENTED_NFC)


@pytest.mark.parametrize("set_as, typed_as", [(ACCENTED_NFC, ACCENTED_NFD), (ACCENTED_NFD, ACCENTED_NFC)])
def test_change_password_accepts_the_current_password_in_either_unicode_form_as_sign_in_does(factory, db_session,
                                                                                             set_as, typed_as):  # fmt: skip
    assert set_as != typed_as and unicodedata.normalize("NFC", typed_as) == unicodedata.normalize("NFC", set_as)
    user = factory.user(role=Role.STUDENT)
    accounts.change_password(db_session, user, current_password=PASSWORD, new_password=set_as)
    assert accounts.sign_in_with_password(db_session, user.email, typed_as).user is user
    accounts.change_password(db_session, user, current_password=typed_as, new_password=NEW_PASSWORD)
    assert accounts.sign_in_with_password(db_session, user.email, NEW_PASSWORD).user is user


def test_an_account_made_on_the_command_line_signs_in_with_its_password_in_either_unicode_form(app, factory, db_session):
    school = factory.school()
    result = app.test_cli_runner().invoke(args=["users", "create", "--role", "dso", "--email", "cli-dso@example.org",
                                                "--school", school.code], input=ACCENTED_NFD + "\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert accounts.sign_in_with_password(db_session, "cli-dso@example.org", ACCENTED_NFC).user is not None


def test_new_password_cannot_repeat_one_of_the_last_eight(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    current = PASSWORD
    for number in range(8):
        new = f"{NEW_PASSWORD} {number}"
        accounts.change_password(db_session, user, current_password=current, new_password=new)
        current = new
    with pytest.raises(InvalidValue, match="last 8"):
        accounts.change_password(db_session, user, current_password=current, new_password=f"{NEW_PASSWORD} 1")
    accounts.change_password(db_session, user, current_password=current, new_password=PASSWORD)  # ninth back: allowed


@pytest.mark.parametrize("changed_days_ago, upgrade_days_ago, force, must", [
    (3, 1, True, True), (1, 3, True, False), (3, 1, False, False), (None, None, None, False),
])  # fmt: skip
def test_must_change_password_after_a_forcing_upgrade(factory, db_session, changed_days_ago, upgrade_days_ago, force, must):
    user = factory.user(role=Role.STUDENT)
    if changed_days_ago is not None:
        user.password_changed_at = utcnow() - timedelta(days=changed_days_ago)
        db_session.add(Upgrade(completed_at=utcnow() - timedelta(days=upgrade_days_ago), force_password_change=force))
        db_session.flush()
    assert accounts.must_change_password(db_session, user) is must


def test_forced_change_spares_officials_and_unfinished_accounts(factory, db_session):
    official = factory.user(role=Role.DSO)
    _, invited = _invited(factory, db_session)
    official.password_changed_at = utcnow() - timedelta(days=5)
    db_session.add(Upgrade(completed_at=utcnow(), force_password_change=True))
    db_session.flush()
    assert not accounts.must_change_password(db_session, official)
    assert not accounts.must_change_password(db_session, invited)


def test_sign_in_rehashes_when_the_parameters_change(factory, db_session, app):
    user = factory.user(role=Role.STUDENT)
    old_hash = user.password_hash
    app.config["ARGON2_TIME_COST"] = 2
    try:
        assert accounts.sign_in_with_password(db_session, user.email, PASSWORD).user is user
        assert user.password_hash != old_hash and "t=2" in user.password_hash
    finally:
        app.config["ARGON2_TIME_COST"] = 1


def test_no_secret_appears_in_events_or_email_bodies(factory, db_session):
    student = factory.student()
    user = factory.user(role=Role.STUDENT, student=student)
    accounts.answer_password_reset(db_session, user.email)
    token = latest_link_token(db_session, user)
    link = accounts.find_link(db_session, token, LinkPurpose.PASSWORD_RESET)
    accounts.complete_password_reset(db_session, link, password=NEW_PASSWORD)
    events = db_session.scalars(select(Event).where(Event.user_id == user.id)).all()
    stored = repr([(e.before, e.after, e.subject) for e in events]) + "".join(
        e.body_text + e.body_html for e in _emails(db_session, user))
    for secret in (token, NEW_PASSWORD, PASSWORD, link.token_hash, user.password_hash):
        assert secret not in stored


def test_reset_requests_send_at_most_one_email_a_minute(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    for _ in range(3):
        accounts.answer_password_reset(db_session, user.email)
    assert len(_emails(db_session, user, "password_reset")) == 1
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        accounts.answer_password_reset(db_session, user.email)
    assert len(_emails(db_session, user, "password_reset")) == 2


def test_no_token_or_password_in_log_lines(factory, db_session, client, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    user = factory.user(role=Role.STUDENT)
    client.post("/password/reset", data={"email": user.email})
    answer_reset_requests(db_session)  # the worker's part
    token = latest_link_token(db_session, user, LinkPurpose.PASSWORD_RESET)
    client.post(f"/password/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    client.post("/", data={"email": user.email, "password": NEW_PASSWORD})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (token, NEW_PASSWORD, PASSWORD):
        assert secret not in logged


def test_sign_in_refuses_a_closed_student_only_after_the_right_password(factory, db_session):
    """Rule 5: access closed six months after the OPT end; a wrong password never learns it."""
    from datetime import date, datetime

    from portal.services.clock import EASTERN

    student = factory.student(opt_start=date(2024, 1, 1), opt_end=date(2024, 12, 31), today=date(2025, 6, 30))
    user = factory.user(role=Role.STUDENT, student=student)
    with time_machine.travel(datetime(2025, 7, 1, 9, tzinfo=EASTERN), tick=False):
        wrong = accounts.sign_in_with_password(db_session, user.email, "not the password at all")
        right = accounts.sign_in_with_password(db_session, user.email, PASSWORD)
    failures = db_session.scalars(select(Event.id).where(Event.user_id == user.id, Event.event_type == "sign_in.failed")).all()
    assert wrong.user is None and wrong.closed is None and len(failures) == 1
    assert right.user is None and right.closed.school_name == student.school.name
    assert right.closed.reason.startswith("Your portal access ended on June 30, 2025")
    assert len(_events(db_session, user, "sign_in.refused")) == 1 and _events(db_session, user, "sign_in.succeeded") == []
    with time_machine.travel(datetime(2025, 6, 30, 23, 59, tzinfo=EASTERN), tick=False):
        assert accounts.sign_in_with_password(db_session, user.email, PASSWORD).user is user  # the last day to read
