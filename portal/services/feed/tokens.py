"""The data feed's API tokens: one per system a school sends batches from, stored hashed, shown once, revocable."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import FeedToken, School, utcnow
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.errors import InvalidValue, NotAllowed, RuleBroken


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _check_may_manage_tokens(actor: Actor, school: School) -> None:
    if actor.role is Role.OPERATOR or actor.kind.value == "system" and actor.user_id is None:
        return
    if actor.role is Role.PRINCIPAL_DSO and actor.school_id == school.id:
        return
    raise NotAllowed("Only the school's principal DSO or an operator can manage data feed tokens.")


def create_feed_token(session: Session, school: School, *, name: str, actor: Actor) -> tuple[FeedToken, str]:
    """Create an API token for the school's feed; returns it with the raw value, shown once. Refuses others than the PDSO/operator."""
    _check_may_manage_tokens(actor, school)
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise InvalidValue(
            "Name the token (at most 100 characters), for example the system that uses it.", field="name"
        )
    raw = "optfeed_" + secrets.token_urlsafe(32)
    token = FeedToken(school_id=school.id, name=name, token_hash=hash_token(raw), created_by_user_id=actor.user_id)
    session.add(token)
    session.flush()
    return token, raw


def revoke_feed_token(session: Session, token: FeedToken, *, actor: Actor) -> FeedToken:
    """Revoke a token at once; refuses one already revoked."""
    _check_may_manage_tokens(actor, session.get(School, token.school_id))
    if token.revoked_at is not None:
        raise RuleBroken("This token was already revoked.")
    token.revoked_at = utcnow()
    session.flush()
    return token


def school_for_token(session: Session, raw: str | None) -> School | None:
    """The school whose live token this is, or None for a missing, wrong or revoked token."""
    if not raw or len(raw) > 200:
        return None
    token = session.scalar(
        select(FeedToken).where(FeedToken.token_hash == hash_token(raw), FeedToken.revoked_at.is_(None))
    )
    return session.get(School, token.school_id) if token is not None else None
