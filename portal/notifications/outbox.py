"""Queue email in the caller's transaction; the worker delivers it (rule 10, DESIGN: outbox)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal.models import OutboxEmail, utcnow
from portal.models.enums import EmailStatus
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
    email = OutboxEmail(**_rendered(template, context), to_address=to,
                        student_id=student.id if student is not None else None,
                        user_id=user.id if user is not None else None,
                        school_id=school_id if school_id is not None else (student.school_id if student is not None else None),
                        sealed_secret=link_ref, dedupe_key=dedupe_key, due_on=due_on)  # fmt: skip
    session.add(email)
    session.flush()
    return email


def _rendered(template: str, context: dict) -> dict:
    """The rendered columns of one email: subject, bodies, a fresh reference code and Message-ID."""
    if template not in CATALOG:
        raise KeyError(template)
    reference_code = new_reference_code()
    subject, text, html = render(template, {**context, "reference_code": reference_code})
    domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].rstrip(">").strip() or "opt-portal.example"
    return {"template": template, "subject": subject, "body_text": text, "body_html": html,
            "reference_code": reference_code, "message_id": f"<{secrets.token_hex(16)}@{domain}>"}  # fmt: skip


INSERT_BATCH = 1000


def insert_new_emails(session: Session, notices: list[dict]) -> int:
    """Queue the notices whose dedupe keys are not in the outbox yet, in one look-up and one insert per 1000.

    Each notice: template, to, context, student_id, school_id, dedupe_key, due_on (and user_id for an official's). A key another worker
    inserted meanwhile is skipped by the database (ON CONFLICT DO NOTHING), never sent twice.
    """
    queued = 0
    for start in range(0, len(notices), INSERT_BATCH):
        batch = notices[start:start + INSERT_BATCH]
        existing = set(session.scalars(select(OutboxEmail.dedupe_key)
                                       .where(OutboxEmail.dedupe_key.in_([n["dedupe_key"] for n in batch]))))  # fmt: skip
        now = utcnow()
        rows, keys = [], set()
        for notice in batch:
            if notice["dedupe_key"] in existing or notice["dedupe_key"] in keys:
                continue
            keys.add(notice["dedupe_key"])
            rows.append({**_rendered(notice["template"], notice["context"]), "to_address": notice["to"],
                         "student_id": notice["student_id"], "user_id": notice.get("user_id"), "school_id": notice["school_id"],
                         "sealed_secret": None, "dedupe_key": notice["dedupe_key"], "due_on": notice["due_on"],
                         "status": EmailStatus.QUEUED, "attempts": 0, "next_attempt_at": now, "queued_at": now})  # fmt: skip
        if not rows:
            continue
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        statement = (dialect.insert(OutboxEmail.__table__).values(rows)
                     .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(OutboxEmail.__table__.c.id))  # fmt: skip
        queued += len(session.execute(statement).all())
    return queued


def resolve_link(session: Session, email: OutboxEmail) -> str | None:
    """The real URL for an email's sealed link, computed at delivery; None when it has none."""
    if not email.sealed_secret:
        return None
    kind, _, _ = email.sealed_secret.partition(":")
    resolver = LINK_RESOLVERS.get(kind)
    if resolver is None:
        raise LookupError(f"No link resolver registered for {kind!r}")
    return resolver(session, email.sealed_secret)
