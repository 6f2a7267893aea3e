"""Queue email in the caller's transaction; the worker delivers it (rule 10, DESIGN: outbox)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal.mail.catalog import CATALOG, render
from portal.models import OutboxEmail, School, utcnow
from portal.models.enums import EmailStatus
from portal.services.words import phone_number

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
    if student is not None:
        context = {**context, "office": _office(session.get(School, student.school_id))}
    email = OutboxEmail(
        **_rendered(template, context),
        to_address=to,
        student_id=student.id if student is not None else None,
        user_id=user.id if user is not None else None,
        school_id=school_id if school_id is not None else (student.school_id if student is not None else None),
        sealed_secret=link_ref,
        dedupe_key=dedupe_key,
        due_on=due_on,
    )
    session.add(email)
    session.flush()
    return email


def _office(school: School | None) -> dict | None:
    """How a student's email says to reach their DSOs: the school's office details, when it has given any."""
    if school is None:
        return None
    lines = [
        f"Email: {school.office_email}" if school.office_email else None,
        f"Phone: {phone_number(school.office_phone)}" if school.office_phone else None,
        f"Hours: {school.office_hours}" if school.office_hours else None,
        "Address: " + ", ".join(school.office_address.splitlines()) if school.office_address else None,
    ]
    lines = [line for line in lines if line]
    if not lines:
        return None
    return {"name": school.office_name or f"the international student office, {school.name}", "lines": lines}


_OFFICE_BLOCK = re.compile(r"(?<=\n)How to reach your DSOs: [^\n]*\n(?:[^\n]+\n)*\n(?=Reference code: )")


def without_office(text: str) -> str:
    """A stored text body without its "How to reach your DSOs" lines: what a send-time check compares, so a school
    that updates its office details meanwhile never makes a true notice look untrue."""
    return _OFFICE_BLOCK.sub("", text, count=1)


def _rendered(template: str, context: dict) -> dict:
    """The rendered columns of one email: subject, bodies, a fresh reference code and Message-ID."""
    if template not in CATALOG:
        raise KeyError(template)
    reference_code = new_reference_code()
    subject, text, html = render(template, {**context, "reference_code": reference_code})
    domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].rstrip(">").strip() or "opt-portal.example"
    return {
        "template": template,
        "subject": subject,
        "body_text": text,
        "body_html": html,
        "reference_code": reference_code,
        "message_id": f"<{secrets.token_hex(16)}@{domain}>",
    }


INSERT_BATCH = 1000


def insert_new_emails(session: Session, notices: list[dict]) -> int:
    """Queue the notices whose dedupe keys are not in the outbox yet, in one look-up and one insert per 1000.

    Each notice: template, to, context, student_id, school_id, dedupe_key, due_on (and user_id for an official's). A key another worker
    inserted meanwhile is skipped by the database (ON CONFLICT DO NOTHING), never sent twice.
    """
    queued = 0
    school_ids = {notice["school_id"] for notice in notices if notice.get("student_id") is not None}
    schools = (
        {school.id: school for school in session.scalars(select(School).where(School.id.in_(school_ids)))}
        if school_ids
        else {}
    )
    for start in range(0, len(notices), INSERT_BATCH):
        batch = notices[start : start + INSERT_BATCH]
        existing = set(
            session.scalars(
                select(OutboxEmail.dedupe_key).where(OutboxEmail.dedupe_key.in_([n["dedupe_key"] for n in batch]))
            )
        )
        now = utcnow()
        rows, keys = [], set()
        for notice in batch:
            if notice["dedupe_key"] in existing or notice["dedupe_key"] in keys:
                continue
            keys.add(notice["dedupe_key"])
            context = notice["context"]
            if notice.get("student_id") is not None:
                context = {**context, "office": _office(schools.get(notice["school_id"]))}
            rows.append(
                {
                    **_rendered(notice["template"], context),
                    "to_address": notice["to"],
                    "student_id": notice["student_id"],
                    "user_id": notice.get("user_id"),
                    "school_id": notice["school_id"],
                    "sealed_secret": None,
                    "dedupe_key": notice["dedupe_key"],
                    "due_on": notice["due_on"],
                    "status": EmailStatus.QUEUED,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "queued_at": now,
                }
            )
        if not rows:
            continue
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(OutboxEmail.__table__)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(OutboxEmail.__table__.c.id)
        )
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
