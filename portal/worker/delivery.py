"""Delivering the outbox: claim due rows, re-check them, send over SMTP (or into the local mailbox), record.

At least once, never lost: a row is claimed (status sending) in one short transaction, sent, and
recorded in another. A worker that dies between sending and recording leaves the row claimed; once
the claim's lease runs out, the row is sent again with the same Message-ID, so the recipient's mail
system sees one message. On PostgreSQL several workers claim with FOR UPDATE SKIP LOCKED and never
claim one row twice; on SQLite one worker runs.
"""

from __future__ import annotations

import html
import os
import re
import smtplib
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from portal.config import INSTANCE_DIR
from portal.mail.catalog import LINK_PLACEHOLDER
from portal.mail.outbox import resolve_link
from portal.models import OutboxEmail, Student, utcnow
from portal.models.enums import EmailStatus
from portal.services.actors import Actor
from portal.services.events import record_event
from portal.worker.scheduled_notices import RECHECKS

PERMANENT_SMTP_CODES = range(500, 600)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.cancelled


class PermanentFailure(Exception):
    """The mail server refused the message for good (a 5xx answer)."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _config(name: str, default):
    return current_app.config.get(name, default)


def claim_due_emails(session: Session, *, worker_id: str, limit: int, now: datetime | None = None) -> list[OutboxEmail]:
    """Claim up to ``limit`` due emails for this worker (queued and due, or claimed by a worker whose lease ran out)."""
    now = now or utcnow()
    lease = timedelta(seconds=float(_config("EMAIL_CLAIM_LEASE_SECONDS", 600)))
    query = (
        select(OutboxEmail)
        .where(
            or_(
                and_(OutboxEmail.status == EmailStatus.QUEUED, OutboxEmail.next_attempt_at <= now),
                and_(OutboxEmail.status == EmailStatus.SENDING, OutboxEmail.claimed_at <= now - lease),
            )
        )
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    emails = list(session.scalars(query))
    for email in emails:
        email.status = EmailStatus.SENDING
        email.claimed_by = worker_id
        email.claimed_at = now
    session.flush()
    return emails


def cancel_email(session: Session, email: OutboxEmail, reason: str, *, actor: Actor | None = None) -> None:
    """Cancel a queued email whose content the records no longer support, and record why (rule 11)."""
    email.status = EmailStatus.CANCELLED
    email.cancelled_reason = reason[:300]
    email.claimed_by = None
    session.flush()
    if email.student_id is not None:
        record_event(
            session,
            actor or Actor.system("Email worker"),
            "email.cancelled",
            student=session.get(Student, email.student_id),
            subject=f"email:{email.id}",
            after={
                "template": email.template,
                "reference_code": email.reference_code,
                "subject": email.subject,
                "reason": reason,
            },
        )


def recheck(session: Session, email: OutboxEmail) -> str | None:
    """Why ``email`` must not go out any more, or None when it still holds."""
    check = RECHECKS.get(email.template)
    return check(session, email) if check is not None else None


def build_message(session: Session, email: OutboxEmail) -> EmailMessage:
    """The MIME message, with the one-time link (if any) resolved now, at delivery."""
    link = resolve_link(session, email)
    text, body_html = email.body_text, email.body_html
    if link is not None:
        text = text.replace(LINK_PLACEHOLDER, link)
        body_html = body_html.replace(html.escape(LINK_PLACEHOLDER), html.escape(link)).replace(
            LINK_PLACEHOLDER, html.escape(link)
        )
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Message-ID"] = email.message_id
    message["Date"] = format_datetime(email.queued_at)
    message["X-Portal-Reference"] = email.reference_code
    message.set_content(text)
    if body_html:
        message.add_alternative(body_html, subtype="html")
    return message


def single_recipient(message: EmailMessage) -> str:
    """The one address a message goes to; PermanentFailure for a To header with none or several (a list typed in a
    field must never fan out into several recipients)."""
    headers = message.get_all("To") or []
    addresses = [address for header in headers for address in getattr(header, "addresses", ())]
    if len(headers) != 1 or len(addresses) != 1 or not addresses[0].addr_spec or "@" not in addresses[0].addr_spec:
        raise PermanentFailure(
            f"A message goes to exactly one address; its To header is {', '.join(map(str, headers))!r}."
        )
    return addresses[0].addr_spec


class Transport:
    """Sends messages over one SMTP connection, or into the local mailbox when no SMTP host is configured."""

    def __init__(self) -> None:
        self.host = current_app.config.get("SMTP_HOST", "")
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *_exc) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            config = current_app.config
            timeout = float(config.get("SMTP_TIMEOUT", 30))
            if config.get("SMTP_TLS") == "ssl":
                smtp = smtplib.SMTP_SSL(self.host, int(config["SMTP_PORT"]), timeout=timeout)
            else:
                smtp = smtplib.SMTP(self.host, int(config["SMTP_PORT"]), timeout=timeout)
                if config.get("SMTP_TLS") == "starttls":
                    smtp.starttls()
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD", ""))
            self._smtp = smtp
        return self._smtp

    def send(self, message: EmailMessage) -> None:
        """Hand one message over; raises PermanentFailure on a 5xx refusal, another error to retry."""
        recipient = single_recipient(message)
        if not self.host:
            deliver_to_mailbox(message)
            return
        try:
            # Explicit, so the server is never told to send to anyone the To header might otherwise list.
            self._connection().send_message(message, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if all(code in PERMANENT_SMTP_CODES for code in codes):
                raise PermanentFailure(f"Recipient refused: {error.recipients}") from error
            raise
        except smtplib.SMTPResponseException as error:
            self.__exit__()
            if error.smtp_code in PERMANENT_SMTP_CODES:
                raise PermanentFailure(f"{error.smtp_code} {error.smtp_error!r}") from error
            raise
        except (smtplib.SMTPException, OSError):
            self.__exit__()
            raise


def mailbox_dir() -> Path:
    return Path(current_app.config.get("MAILBOX_DIR") or INSTANCE_DIR / "mailbox")


def _mailbox_file_name(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", message_id.strip("<>")) + ".eml"


def deliver_to_mailbox(message: EmailMessage) -> Path:
    """Write the message to the local mailbox (demo, no SMTP); the same Message-ID overwrites, never duplicates."""
    directory = mailbox_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / _mailbox_file_name(message["Message-ID"])
    temporary = target.with_suffix(".tmp")
    temporary.write_bytes(message.as_bytes())
    temporary.replace(target)
    return target


def _record_email_event(session: Session, email: OutboxEmail, event_type: str, **detail: str) -> None:
    """Write the worker's event about ``email`` in its student's History; staff emails have none."""
    if email.student_id is None:
        return
    record_event(
        session,
        Actor.system("Email worker"),
        event_type,
        student=session.get(Student, email.student_id),
        subject=f"email:{email.id}",
        after={"template": email.template, "reference_code": email.reference_code, "subject": email.subject, **detail},
    )


def _record_sent(session: Session, email: OutboxEmail, worker_id: str) -> bool:
    """Mark ``email`` sent if this worker still holds its claim; write "email.sent" for a student's email (rule 8)."""
    now = utcnow()
    result = session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == email.id, OutboxEmail.status == EmailStatus.SENDING, OutboxEmail.claimed_by == worker_id
        )
        .values(
            status=EmailStatus.SENT, sent_at=now, attempts=OutboxEmail.attempts + 1, last_error=None, sealed_secret=None
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    _record_email_event(session, email, "email.sent", to=email.to_address)
    return True


def _record_failure(session: Session, email: OutboxEmail, error: Exception, *, permanent: bool) -> bool:
    """Schedule a retry with exponential backoff, or mark the email failed for good (visible to officials)."""
    max_attempts = int(_config("EMAIL_MAX_ATTEMPTS", 6))
    base = float(_config("EMAIL_RETRY_BASE_SECONDS", 30))
    email.attempts += 1
    email.last_error = f"{type(error).__name__}: {error}"[:2000]
    email.claimed_by = None
    if permanent or email.attempts >= max_attempts:
        email.status = EmailStatus.FAILED
        _record_email_event(session, email, "email.failed", error=email.last_error[:300])
        session.flush()
        return True
    email.status = EmailStatus.QUEUED
    email.next_attempt_at = utcnow() + timedelta(seconds=min(base * 2 ** (email.attempts - 1), 3600))
    session.flush()
    return False


def deliver_due_emails(session: Session, *, worker_id: str | None = None, limit: int = 20) -> DeliveryReport:
    """Claim, re-check, send and record one batch of due emails; commits after each step so nothing is lost."""
    worker_id = worker_id or worker_name()
    report = DeliveryReport()
    emails = claim_due_emails(session, worker_id=worker_id, limit=limit)
    session.commit()
    if not emails:
        return report
    with Transport() as transport:
        for email in emails:
            reason = recheck(session, email)
            if reason is not None:
                cancel_email(session, email, reason)
                session.commit()
                report.cancelled += 1
                continue
            try:
                message = build_message(session, email)
                session.commit()  # a resolver may have written a fresh link token
                transport.send(message)
            except PermanentFailure as error:
                session.rollback()
                _record_failure(session, session.get(OutboxEmail, email.id), error, permanent=True)
                session.commit()
                report.failed += 1
                continue
            except Exception as error:  # noqa: BLE001  (any other failure is retried, never lost)
                session.rollback()
                if _record_failure(session, session.get(OutboxEmail, email.id), error, permanent=False):
                    report.failed += 1
                else:
                    report.retried += 1
                session.commit()
                continue
            if _record_sent(session, email, worker_id):
                report.sent += 1
            session.commit()
    return report
