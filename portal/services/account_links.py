"""One-time account links (rules 1 and 7): issued, found by their token, judged usable or not, voided.

The emailed token is HMAC(SECRET_KEY, "<link id>:<salt>"); only its SHA-256 is stored, and the outbox keeps
"account_link:<id>", which the resolver registered below turns into the URL at delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.mail.outbox import LINK_RESOLVERS
from portal.models import AccountLink, User, utcnow
from portal.models.enums import LinkPurpose

LINK_LIFETIME = {
    LinkPurpose.ACCOUNT_CREATION: timedelta(days=14),
    LinkPurpose.PASSWORD_RESET: timedelta(minutes=30),
}
LINK_PATH = {
    LinkPurpose.ACCOUNT_CREATION: "/account/create/",
    LinkPurpose.PASSWORD_RESET: "/password/reset/",
}


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(session: Session, user: User, purpose: LinkPurpose, *, now: datetime | None = None) -> AccountLink:
    """A new single-use link for ``user``; the token is never stored, only its hash."""
    now = now or utcnow()
    salt = secrets.token_hex(16)
    link = AccountLink(
        user_id=user.id,
        purpose=purpose,
        token_hash=f"pending-{salt}",
        salt=salt,
        created_at=now,
        expires_at=now + LINK_LIFETIME[purpose],
    )
    session.add(link)
    session.flush()
    link.token_hash = hash_token(link_token(link))
    session.flush()
    return link


def link_token(link: AccountLink) -> str:
    """The emailed token for ``link``, recomputed from the secret key (delivery and tests only)."""
    return _b64(
        hmac.new(current_app.config["SECRET_KEY"].encode(), f"{link.id}:{link.salt}".encode(), hashlib.sha256).digest()
    )


def link_url(link: AccountLink) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + LINK_PATH[link.purpose] + link_token(link)


def _resolve_account_link(session: Session, link_ref: str) -> str:
    _, _, raw_id = link_ref.partition(":")
    link = session.get(AccountLink, int(raw_id))
    if link is None:
        raise LookupError(f"No account link {raw_id}")
    return link_url(link)


LINK_RESOLVERS["account_link"] = _resolve_account_link


def find_link(session: Session, token: str | None, purpose: LinkPurpose) -> AccountLink | None:
    """The link a token names (whatever its state), or None for a token we never issued."""
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    link = session.scalar(select(AccountLink).where(AccountLink.token_hash == hash_token(token)))
    if link is None or link.purpose is not purpose:
        return None
    return link


def link_problem(link: AccountLink | None, *, now: datetime | None = None) -> str | None:
    """Why a link cannot be used, in words for the page; None when it can."""
    now = now or utcnow()
    again = (
        "Ask your school's DSO to send a new one with Reset Portal Account, or use "
        '"Forgot your password" on the sign-in page.'
    )
    if link is None:
        return "This link is not valid. Check that you opened the whole link from the email. " + again
    user = link.user
    if user.is_official:
        again = (
            "Ask your school's principal DSO to send the invitation again from the Officials page, or use "
            '"Forgot your password" on the sign-in page.'
        )
        if not user.is_active:
            if not user.has_finished_account_creation:
                return (
                    "This invitation was revoked by your school's principal DSO, so the link no longer works. "
                    "If you think that is a mistake, ask them."
                )
            return "This account was removed, so the link no longer works. Ask your school's principal DSO."
    if link.used_at is not None:
        return "This link was already used. Each link works once. If you set your password, sign in. " + again
    if link.voided_at is not None:
        if user.is_official:
            return "This link no longer works: a newer one was sent. Use the link in the latest email. " + again
        return (
            "This link no longer works: a newer link was sent, or the SEVIS ID was entered wrong three times. " + again
        )
    if link.expires_at <= now:
        return "This link has expired. " + again
    return None


def void_open_links(session: Session, user: User, *, now: datetime, purposes=tuple(LinkPurpose)) -> int:
    """Void ``user``'s unused links of ``purposes`` (every kind by default); returns how many."""
    links = session.scalars(
        select(AccountLink).where(
            AccountLink.user_id == user.id,
            AccountLink.used_at.is_(None),
            AccountLink.voided_at.is_(None),
            AccountLink.purpose.in_(purposes),
        )
    ).all()
    for link in links:
        link.voided_at = now
    return len(links)
