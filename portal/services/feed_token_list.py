"""What the data feed tokens pages read: the tokens of one school (principal DSO) or of every school (operator)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import FeedToken, School


def feed_tokens(session: Session, school_id: int | None, *, limit: int) -> list:
    """(token, school code) rows, newest first, for ``school_id`` (None: every school), at most ``limit``."""
    query = (
        select(FeedToken, School.code)
        .join(School, School.id == FeedToken.school_id)
        .order_by(FeedToken.created_at.desc())
    )
    if school_id is not None:
        query = query.where(FeedToken.school_id == school_id)
    return session.execute(query.limit(limit)).all()


def feed_token(session: Session, token_id: int, school_id: int | None) -> FeedToken | None:
    """The token with this id at ``school_id`` (None: any school), or None."""
    token = session.get(FeedToken, token_id)
    if token is None or (school_id is not None and token.school_id != school_id):
        return None
    return token
