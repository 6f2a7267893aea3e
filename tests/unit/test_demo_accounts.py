"""The demo seed uses the account services: a pending invitation with a working link, a real lock, the forced change."""

from __future__ import annotations

from sqlalchemy import select

from portal.demo import seed
from portal.models import AccountLink, User
from portal.models.enums import LinkPurpose, Role
from portal.services.accounts import account_status


def test_demo_seed_has_an_invitation_a_lock_and_a_forced_change(db_session):
    summary = seed(db_session, students_per_school=13)
    labels = {account_status(user).label for user in db_session.scalars(select(User).where(User.role == Role.STUDENT))}
    assert {"invitation sent", "locked", "must change password", "active"} <= labels
    link = db_session.scalars(select(AccountLink).where(AccountLink.purpose == LinkPurpose.ACCOUNT_CREATION)).first()
    assert link is not None and "/account/create/" in summary
    assert "two-step verification" in summary
