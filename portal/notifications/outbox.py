"""Queue email in the caller's transaction; the worker delivers it (rule 10, DESIGN: outbox)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date

from flask import current_app
from sqlalchemy.orm import Session

from portal.models import OutboxEmail
from portal.notifications.catalog import CATALOG, render

# Readable, unambiguous reference codes: no 0/O, 1/I/L.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

# How a sealed link reference ("account_link:42") becomes a URL at delivery. The accounts
# service registers its resolver; nothing readable by officials ever holds the raw link.
LINK_RESOLVERS: dict[str, Callable[[Session, str], str]] = {}


def new_reference_code() -> str:
    """A code like OPT-7K3M-9Q2X that the email carries and Email History shows."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"OPT-{raw[:4]}-{raw[4:]}"


def queue_email(
    session: Session,
    *,
    template: str,
    to: str,
    context: dict,
    student=None,
    user=None,
    school_id: int | None = None,
    link_ref: str | None = None,
    dedupe_key: str | None = None,
    due_on: date | None = None,
) -> OutboxEmail:
    """Render template ``template`` for ``to`` and add it to the outbox; refuses an unknown template.

    ``link_ref`` names a one-time link to insert at delivery ("account_link:<id>"); the stored
    body holds a placeholder instead, because officials can read every stored body.
    """
    if template not in CATALOG:
        raise KeyError(template)
    reference_code = new_reference_code()
    subject, text, html = render(template, {**context, "reference_code": reference_code})
    domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].rstrip(">").strip() or "opt-portal.example"
    email = OutboxEmail(
        template=template,
        to_address=to,
        student_id=student.id if student is not None else None,
        user_id=user.id if user is not None else None,
        school_id=school_id if school_id is not None else (student.school_id if student is not None else None),
        subject=subject,
        body_text=text,
        body_html=html,
        sealed_secret=link_ref,
        reference_code=reference_code,
        message_id=f"<{secrets.token_hex(16)}@{domain}>",
        dedupe_key=dedupe_key,
        due_on=due_on,
    )
    session.add(email)
    session.flush()
    return email


def resolve_link(session: Session, email: OutboxEmail) -> str | None:
    """The real URL for an email's sealed link, computed at delivery; None when it has none."""
    if not email.sealed_secret:
        return None
    kind, _, _ = email.sealed_secret.partition(":")
    resolver = LINK_RESOLVERS.get(kind)
    if resolver is None:
        raise LookupError(f"No link resolver registered for {kind!r}")
    return resolver(session, email.sealed_secret)
