"""What the account tests share: one user's events and emails, a student invited to create an account, passwords."""

from __future__ import annotations

import unicodedata

from sqlalchemy import select

from portal.models import Event, OutboxEmail
from portal.services import accounts
from portal.services.actors import Actor

SYSTEM = Actor.system("Test")
NEW_PASSWORD = "violet harbor seventy kites"
# "crème brûlée" as one code point per accented letter (NFC), and as letter plus combining accent (NFD), as some
# keyboards and password managers send it.
ACCENTED_NFC = "cr\u00e8me br\u00fbl\u00e9e harbor kites"
ACCENTED_NFD = unicodedata.normalize("NFD", ACCENTED_NFC)


def user_events(session, user, event_type):
    return session.scalars(select(Event).where(Event.user_id == user.id, Event.event_type == event_type)).all()


def user_emails(session, user, template=None):
    query = select(OutboxEmail).where(OutboxEmail.user_id == user.id)
    if template:
        query = query.where(OutboxEmail.template == template)
    return session.scalars(query.order_by(OutboxEmail.id)).all()


def invited_student(factory, db_session):
    """A student with an approved OPT whose account was just created: the creation link is out, no password yet."""
    student = factory.student()
    user = accounts.create_account_for_approved_opt(db_session, student, actor=SYSTEM)
    return student, user
