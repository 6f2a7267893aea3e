"""One-time links: only the token's hash is stored, and the resolver builds the emailed URL at delivery."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from portal.mail.outbox import resolve_link
from portal.models import AccountLink
from tests.support.accounts import invited_student, user_emails
from tests.support.factories import latest_link_token


def test_only_the_tokens_hash_is_stored_and_the_resolver_builds_the_url(factory, db_session, app):
    _, user = invited_student(factory, db_session)
    token = latest_link_token(db_session, user)
    link = db_session.scalars(select(AccountLink).where(AccountLink.user_id == user.id)).one()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in link.token_hash and token not in link.salt
    email = user_emails(db_session, user)[0]
    assert token not in email.body_text and token not in email.body_html
    assert resolve_link(db_session, email) == app.config["BASE_URL"] + "/account/create/" + token
