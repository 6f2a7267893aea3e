"""The officials' email digest (issue 12): queued by the daily sweep for each official whose day it is, recounted
when it is sent ("true at send time"), and never sent twice for one period (the outbox's dedupe key is
``dso_digest:<user id>:<first day of the period>:<cadence>``).

At send time the counts are taken again and the email's words replaced by them; it is cancelled instead when
nothing changed since the official's last download, when they turned the digest off or changed its cadence,
when they are no longer an active official, or when its period has passed (a late worker does not send
yesterday's digest beside today's).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.mail.catalog import render
from portal.mail.outbox import insert_new_emails
from portal.models import OutboxEmail, User
from portal.models.enums import OFFICIAL_ROLES, DigestCadence
from portal.services.clock import EASTERN, long_date, today_eastern
from portal.services.digests import Digest, digest_for, digest_period, period_covers
from portal.services.labels import label

DIGEST_TEMPLATE = "dso_digest"


def digest_key(official_id: int, period_start: date, cadence: DigestCadence) -> str:
    """One digest per official, period and cadence."""
    return f"{DIGEST_TEMPLATE}:{official_id}:{period_start.isoformat()}:{cadence.value}"


def _since_words(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(EASTERN)
    return f"{long_date(local.date())} at {local:%-I:%M %p %Z}"


def digest_context(official: User, digest: Digest, cadence: DigestCadence) -> dict:
    """What the digest email says: the counts, when the last download was (US Eastern), how often it comes."""
    return {
        "official_name": official.display_name or official.email,
        "school_name": official.school.name,
        "students": digest.students,
        "lines": [kind.words for kind in digest.kinds],
        "since": _since_words(digest.since),
        "cadence": label(cadence).lower(),
    }


def _due_officials(session: Session, today: date) -> list[tuple[User, date]]:
    officials = session.scalars(
        select(User)
        .options(selectinload(User.school))
        .where(
            User.role.in_(OFFICIAL_ROLES),
            User.deactivated_at.is_(None),
            User.password_hash.is_not(None),
            User.digest_cadence != DigestCadence.OFF,
        )
        .order_by(User.id)
    )
    due = [
        (official, period)
        for official in officials
        if (period := digest_period(official.digest_cadence, today)) is not None
    ]
    keys = [digest_key(official.id, period, official.digest_cadence) for official, period in due]
    queued = (
        set(session.scalars(select(OutboxEmail.dedupe_key).where(OutboxEmail.dedupe_key.in_(keys)))) if keys else set()
    )
    return [
        (official, period)
        for official, period in due
        if digest_key(official.id, period, official.digest_cadence) not in queued
    ]


def queue_digests(session: Session, today: date) -> int:
    """Queue the digest of every official whose day it is and whose school has changes since their last download;
    returns how many were queued (none twice for one period)."""
    rows = []
    for official, period in _due_officials(session, today):
        digest = digest_for(session, official)
        if digest.empty:
            continue  # nothing to say; a later sweep the same day may still find something
        cadence = official.digest_cadence
        rows.append(
            {
                "template": DIGEST_TEMPLATE,
                "to": official.email,
                "student_id": None,
                "user_id": official.id,
                "school_id": official.school_id,
                "dedupe_key": digest_key(official.id, period, cadence),
                "due_on": period,
                "context": digest_context(official, digest, cadence),
            }
        )
    return insert_new_emails(session, rows)


def _parse_key(key: str | None) -> tuple[int, date, DigestCadence] | None:
    try:
        template, official_id, period, cadence = (key or "").split(":")
        if template != DIGEST_TEMPLATE:
            return None
        return int(official_id), date.fromisoformat(period), DigestCadence(cadence)
    except ValueError:
        return None


def recheck_digest(session: Session, email: OutboxEmail) -> str | None:
    """Why the digest must not go out now; otherwise None, with its words replaced by the counts as they are now."""
    parsed = _parse_key(email.dedupe_key)
    if parsed is None:
        return "This digest has no key saying whom and which period it is for, so it cannot be checked."
    official_id, period, cadence = parsed
    official = session.get(User, official_id)
    if official is None or official.role not in OFFICIAL_ROLES or official.deactivated_at is not None:
        return "The recipient is no longer a school official."
    if official.digest_cadence != cadence:
        return f"The official changed their email digest to {label(official.digest_cadence).lower()}."
    if not period_covers(cadence, period, today_eastern()):
        return "This digest's day has passed; the next digest counts the same changes."
    digest = digest_for(session, official)
    if digest.empty:
        return "Nothing changed since the official's last change-list download."
    subject, text, html = render(
        DIGEST_TEMPLATE, {**digest_context(official, digest, cadence), "reference_code": email.reference_code}
    )
    email.subject, email.body_text, email.body_html, email.to_address = subject, text, html, official.email
    return None
