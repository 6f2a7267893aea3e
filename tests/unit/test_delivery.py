"""Delivery: sent over SMTP with the one-time link inserted at send time, retried with backoff, recorded, never lost."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.mail import outbox
from portal.mail.catalog import LINK_PLACEHOLDER
from portal.mail.outbox import queue_email
from portal.models import Event, utcnow
from portal.models.enums import EmailStatus
from portal.worker.delivery import deliver_due_emails
from portal.worker.scheduled_notices import RECHECKS
from tests.support.ports import free_port
from tests.support.smtp import SmtpServer


@pytest.fixture
def smtp(app, monkeypatch):
    with SmtpServer() as server:
        monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
        monkeypatch.setitem(app.config, "SMTP_PORT", server.port)
        monkeypatch.setitem(app.config, "SMTP_TLS", "none")
        monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 5)
        yield server.handler


@pytest.fixture
def link_resolver(monkeypatch):
    monkeypatch.setitem(
        outbox.LINK_RESOLVERS,
        "account_link",
        lambda session, ref: f"https://portal.example/account/create/TOKEN-{ref.partition(':')[2]}",
    )


def _queue(db_session, student, template="problem_received", **extra):
    context = {"student_name": student.full_name, "reported_on": "today", "summary": "help"}
    if template == "account_creation":
        context = {"student_name": student.full_name, "days_valid": 14}
    return queue_email(db_session, template=template, to=student.email, student=student, context=context, **extra)


def test_queued_email_is_sent_over_smtp_with_its_message_id_and_recorded(factory, db_session, smtp):
    student = factory.student()
    email = _queue(db_session, student)
    report = deliver_due_emails(db_session, worker_id="test")
    assert report.sent == 1
    [received] = smtp.messages
    assert received["Message-ID"] == email.message_id
    assert received["To"] == student.email and received["Subject"] == email.subject
    assert email.reference_code in received.get_body(("plain",)).get_content()
    db_session.refresh(email)
    assert email.status is EmailStatus.SENT and email.sent_at is not None


def test_sending_a_student_email_writes_an_email_sent_event(factory, db_session, smtp):
    student = factory.student()
    email = _queue(db_session, student)
    deliver_due_emails(db_session, worker_id="test")
    events = db_session.scalars(
        select(Event).where(Event.student_id == student.id, Event.event_type == "email.sent").order_by(Event.id)
    ).all()
    assert [event.after["reference_code"] for event in events] == [email.reference_code]


def test_one_time_link_is_inserted_at_send_time_and_never_stored(factory, db_session, smtp, link_resolver):
    student = factory.student()
    email = _queue(db_session, student, template="account_creation", link_ref="account_link:77")
    deliver_due_emails(db_session, worker_id="test")
    [received] = smtp.messages
    assert "https://portal.example/account/create/TOKEN-77" in received.get_body(("plain",)).get_content()
    assert 'href="https://portal.example/account/create/TOKEN-77"' in received.get_body(("html",)).get_content()
    db_session.refresh(email)
    assert LINK_PLACEHOLDER in email.body_text and "TOKEN-77" not in email.body_text + email.body_html
    assert email.sealed_secret is None


def test_temporary_refusal_is_retried_later_with_backoff(app, factory, db_session, smtp):
    smtp.answer = "451 Try again later"
    email = _queue(db_session, factory.student())
    before = utcnow()
    report = deliver_due_emails(db_session, worker_id="test")
    db_session.refresh(email)
    assert report.retried == 1 and email.status is EmailStatus.QUEUED and email.attempts == 1
    assert email.next_attempt_at >= before + timedelta(seconds=app.config["EMAIL_RETRY_BASE_SECONDS"])
    assert deliver_due_emails(db_session, worker_id="test").handled == 0  # not due yet
    smtp.answer = None
    email.next_attempt_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    assert deliver_due_emails(db_session, worker_id="test").sent == 1
    assert list(smtp.message_ids.values()) == [1]


def test_backoff_doubles_and_the_email_fails_for_good_after_the_last_attempt(
    app, factory, db_session, smtp, monkeypatch
):
    monkeypatch.setitem(app.config, "EMAIL_MAX_ATTEMPTS", 3)
    smtp.answer = "451 Try again later"
    email = _queue(db_session, factory.student())
    gaps = []
    for _ in range(3):
        started = utcnow()
        deliver_due_emails(db_session, worker_id="test")
        db_session.refresh(email)
        gaps.append(round((email.next_attempt_at - started).total_seconds() / app.config["EMAIL_RETRY_BASE_SECONDS"]))
        email.next_attempt_at = utcnow() - timedelta(seconds=1)
        db_session.flush()
    assert gaps[:2] == [1, 2]
    assert email.status is EmailStatus.FAILED and "451" in email.last_error


def test_permanent_refusal_fails_at_once_and_is_recorded_as_an_event(factory, db_session, smtp):
    smtp.answer = "550 No such mailbox"
    student = factory.student()
    email = _queue(db_session, student)
    assert deliver_due_emails(db_session, worker_id="test").failed == 1
    db_session.refresh(email)
    assert email.status is EmailStatus.FAILED and email.attempts == 1
    assert db_session.scalar(select(Event).where(Event.student_id == student.id, Event.event_type == "email.failed"))


def test_unreachable_smtp_server_leaves_the_email_queued(app, factory, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    monkeypatch.setitem(app.config, "SMTP_TLS", "none")
    email = _queue(db_session, factory.student())
    assert deliver_due_emails(db_session, worker_id="test").retried == 1
    db_session.refresh(email)
    assert email.status is EmailStatus.QUEUED and email.last_error


def test_claim_abandoned_by_a_crashed_worker_is_resent_with_the_same_message_id(
    app, factory, db_session, smtp, monkeypatch
):
    email = _queue(db_session, factory.student())
    email.status, email.claimed_by, email.claimed_at = (
        EmailStatus.SENDING,
        "dead-worker",
        utcnow() - timedelta(minutes=11),
    )
    db_session.flush()
    assert deliver_due_emails(db_session, worker_id="test").sent == 1
    assert smtp.message_ids == {email.message_id: 1}


def test_a_fresh_claim_by_another_worker_is_left_alone(factory, db_session, smtp):
    email = _queue(db_session, factory.student())
    email.status, email.claimed_by, email.claimed_at = EmailStatus.SENDING, "busy-worker", utcnow()
    db_session.flush()
    assert deliver_due_emails(db_session, worker_id="test").handled == 0
    assert smtp.messages == []


def test_email_the_records_contradict_is_cancelled_with_an_event_not_sent(factory, db_session, smtp, monkeypatch):
    monkeypatch.setitem(RECHECKS, "problem_received", lambda session, email: "The problem was withdrawn.")
    student = factory.student()
    email = _queue(db_session, student)
    assert deliver_due_emails(db_session, worker_id="test").cancelled == 1
    db_session.refresh(email)
    assert email.status is EmailStatus.CANCELLED and email.cancelled_reason == "The problem was withdrawn."
    assert smtp.messages == []
    event = db_session.scalar(
        select(Event).where(Event.student_id == student.id, Event.event_type == "email.cancelled")
    )
    assert event.after["reason"] == "The problem was withdrawn."


def test_without_smtp_the_email_goes_to_the_local_mailbox_once_per_message_id(
    app, factory, db_session, tmp_path, monkeypatch, link_resolver
):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "MAILBOX_DIR", str(tmp_path))
    email = _queue(db_session, factory.student(), template="account_creation", link_ref="account_link:5")
    assert deliver_due_emails(db_session, worker_id="test").sent == 1
    [stored] = list(tmp_path.glob("*.eml"))
    content = stored.read_text()
    assert email.message_id in content and "TOKEN-5" in content


def test_the_smtp_envelope_names_only_the_one_address_in_the_to_header(factory, db_session, smtp):
    student = factory.student()
    _queue(db_session, student)
    assert deliver_due_emails(db_session, worker_id="test").sent == 1
    assert smtp.envelope_recipients == [[student.email]]


@pytest.mark.parametrize(
    "to",
    ["postmaster,abuse,victim2@evil.example", "a@example.edu, b@example.edu", "Someone <a@example.edu>, b@example.edu"],
)
def test_a_to_header_listing_several_addresses_fails_for_good_and_reaches_nobody(factory, db_session, smtp, to):
    student = factory.student()
    email = _queue(db_session, student)
    email.to_address = to  # a row written before addresses were checked one per field
    db_session.flush()
    assert deliver_due_emails(db_session, worker_id="test").failed == 1
    assert smtp.envelope_recipients == [] and smtp.messages == []
    db_session.refresh(email)
    assert email.status is EmailStatus.FAILED and "exactly one address" in email.last_error
