"""Self-service reset requests: the page only records the address; the worker answers known and unknown alike."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.models import AccountLink, Event, OutboxEmail, PasswordResetRequest, utcnow
from portal.models.enums import LinkPurpose, Role
from portal.services import reset_requests
from portal.services.account_links import link_problem
from portal.services.actors import Actor
from portal.services.errors import InvalidValue
from portal.services.officials import appoint_official
from portal.services.reset_requests import answer_password_reset, answer_reset_requests, record_reset_request
from portal.worker.loop import run_worker
from tests.support.accounts import NEW_PASSWORD, invited_student, user_emails, user_events
from tests.support.factories import PASSWORD, latest_link_token


def _outbox(db_session, **where):
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxEmail, name) == value)
    return db_session.scalars(query).all()


def _waiting(db_session) -> int:
    return db_session.scalar(
        select(func.count()).select_from(PasswordResetRequest).where(PasswordResetRequest.answered_at.is_(None))
    )


def test_recording_a_request_sends_nothing_until_the_worker_answers_it(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    before = len(_outbox(db_session))
    record_reset_request(db_session, f"  {user.email.upper()} ")
    assert len(_outbox(db_session)) == before and _waiting(db_session) == 1
    assert answer_reset_requests(db_session) == 1
    assert [email.template for email in _outbox(db_session, user_id=user.id)] == ["password_reset"]
    assert _waiting(db_session) == 0


def test_an_unknown_address_gets_one_note_and_no_event(factory, db_session):
    events_before = db_session.scalar(select(func.count()).select_from(Event))
    record_reset_request(db_session, "forgot.which@example.edu")
    answer_reset_requests(db_session)
    [note] = _outbox(db_session, to_address="forgot.which@example.edu")
    assert note.template == "password_reset_no_account" and note.school_id is None and note.sealed_secret is None
    assert db_session.scalar(select(func.count()).select_from(Event)) == events_before


def test_a_deactivated_account_gets_the_note_not_a_link(factory, db_session):
    official = factory.user(role=Role.DSO)
    official.deactivated_at = utcnow()
    record_reset_request(db_session, official.email)
    answer_reset_requests(db_session)
    assert [email.template for email in _outbox(db_session, to_address=official.email)] == ["password_reset_no_account"]


@pytest.mark.parametrize("known", [True, False])
def test_at_most_one_email_a_minute_to_an_address_known_or_not(factory, db_session, known):
    address = factory.user(role=Role.STUDENT).email if known else "nobody@example.edu"
    for _ in range(3):
        record_reset_request(db_session, address)
    assert answer_reset_requests(db_session) == 3
    assert len(_outbox(db_session, to_address=address)) == 1
    with time_machine.travel(utcnow() + timedelta(seconds=30)):
        record_reset_request(db_session, address)
        answer_reset_requests(db_session)
    assert len(_outbox(db_session, to_address=address)) == 1
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        record_reset_request(db_session, address)
        answer_reset_requests(db_session)
    assert len(_outbox(db_session, to_address=address)) == 2


def test_answered_requests_are_forgotten_once_they_hold_nothing_back(db_session):
    record_reset_request(db_session, "a@example.edu")
    answer_reset_requests(db_session)
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        record_reset_request(db_session, "b@example.edu")
        answer_reset_requests(db_session)
        emails = db_session.scalars(select(PasswordResetRequest.email)).all()
    assert emails == ["b@example.edu"]


@pytest.mark.parametrize("value", ["", "not an address", "a@b", "x" * 250 + "@example.edu", "a\x00b@example.edu"])
def test_a_value_that_is_not_an_email_address_is_refused_with_a_message(db_session, value):
    with pytest.raises(InvalidValue) as refused:
        record_reset_request(db_session, value)
    assert refused.value.field == "email" and _waiting(db_session) == 0


def test_the_worker_answers_requests_and_delivers_them_in_one_pass(app, factory, db_session, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "MAILBOX_DIR", str(tmp_path))
    user = factory.user(role=Role.STUDENT)
    email = user.email
    record_reset_request(db_session, email)
    record_reset_request(db_session, "nobody@example.edu")
    db_session.commit()
    assert run_worker(until_empty=True) == 2
    sent = sorted(path.read_text() for path in tmp_path.glob("*.eml"))
    assert len(sent) == 2
    assert any(f"To: {email}" in message and "/password/reset/" in message for message in sent)
    assert any("To: nobody@example.edu" in message and "no active account uses it" in message for message in sent)


def test_a_request_that_cannot_be_answered_is_dropped_and_holds_up_nothing(db_session, monkeypatch, caplog):
    real = reset_requests.answer_password_reset

    def failing_for_one(session, address, *, now):
        if address == "broken@example.edu":
            session.add(PasswordResetRequest(email="half-done@example.edu"))
            session.flush()
            raise RuntimeError("a bug")
        return real(session, address, now=now)

    monkeypatch.setattr(reset_requests, "answer_password_reset", failing_for_one)
    record_reset_request(db_session, "broken@example.edu")
    record_reset_request(db_session, "fine@example.edu")
    assert answer_reset_requests(db_session) == 2
    [note] = _outbox(db_session, to_address="fine@example.edu")
    assert note.template == "password_reset_no_account"
    assert db_session.scalars(select(PasswordResetRequest.email)).all() == ["fine@example.edu"]  # its work undone too
    assert "Could not answer password-reset request" in caplog.text


def test_an_official_who_never_set_a_password_gets_a_fresh_invitation_not_a_crash(factory, db_session):
    school = factory.school()
    principal = Actor.for_user(factory.user(role=Role.PRINCIPAL_DSO, school=school))
    official = appoint_official(
        db_session, school, actor=principal, email="new.official@example.edu", display_name="New Official"
    )
    with time_machine.travel(utcnow() + timedelta(minutes=5)):
        record_reset_request(db_session, official.email)
        assert answer_reset_requests(db_session) == 1
    emails = _outbox(db_session, user_id=official.id)
    assert [email.template for email in emails] == ["official_invitation", "official_invitation"]
    assert _waiting(db_session) == 0
    links = [db_session.get(AccountLink, int(email.sealed_secret.split(":")[1])) for email in emails]
    assert link_problem(links[0]) is not None and link_problem(links[1]) is None


def test_self_service_reset_link_lasts_30_minutes_and_an_unknown_address_gets_a_note_instead(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    assert answer_password_reset(db_session, " Nobody@Example.edu ")
    note = db_session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()
    assert note.template == "password_reset_no_account" and note.to_address == "nobody@example.edu"
    assert note.student_id is None and note.user_id is None and note.sealed_secret is None
    assert "no active account uses it" in note.body_text and "/password/reset" in note.body_text
    assert answer_password_reset(db_session, user.email.upper())
    link = db_session.scalars(select(AccountLink).where(AccountLink.user_id == user.id)).one()
    assert link.purpose is LinkPurpose.PASSWORD_RESET and link.expires_at - link.created_at == timedelta(minutes=30)
    assert user_emails(db_session, user)[-1].template == "password_reset"
    assert len(user_events(db_session, user, "password.reset_requested")) == 1
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        assert "expired" in link_problem(link)


def test_reset_request_for_an_unfinished_account_resends_the_creation_link(factory, db_session):
    _, user = invited_student(factory, db_session)
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        answer_password_reset(db_session, user.email)
    assert [email.template for email in user_emails(db_session, user)] == ["account_creation", "account_creation"]


def test_reset_requests_send_at_most_one_email_a_minute(factory, db_session):
    user = factory.user(role=Role.STUDENT)
    for _ in range(3):
        answer_password_reset(db_session, user.email)
    assert len(user_emails(db_session, user, "password_reset")) == 1
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        answer_password_reset(db_session, user.email)
    assert len(user_emails(db_session, user, "password_reset")) == 2


def test_no_token_or_password_in_log_lines(factory, db_session, client, caplog):
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
