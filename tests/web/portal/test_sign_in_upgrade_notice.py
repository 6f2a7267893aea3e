"""Rule 12's Sign In notice ("Students: you will choose a new password"): shown for 30 days after a forcing upgrade
while some student still has an older password; never after, and never to someone who has just set a password
(account creation or a reset), who is not asked to change it."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.mail.outbox import resolve_link
from portal.models import OutboxEmail, Upgrade, User, utcnow
from portal.models.enums import Role
from portal.services.accounts import create_account_for_approved_opt
from portal.services.actors import Actor
from tests.support.factories import PASSWORD

NOTICE = b"you will choose a new password"
NEW_PASSWORD = "copper valley lantern 77"


@pytest.fixture
def upgraded_at(factory, db_session):
    """A forcing upgrade completed now, with one student whose password is older."""
    user = factory.user(role=Role.STUDENT)
    user.password_changed_at = utcnow() - timedelta(days=3)
    upgrade = Upgrade(completed_at=utcnow(), force_password_change=True)
    db_session.add(upgrade)
    db_session.flush()
    return upgrade.completed_at


@pytest.mark.parametrize(
    ("after", "shown"),
    [
        (timedelta(minutes=1), True),
        (timedelta(days=29, hours=23), True),
        (timedelta(days=30), False),
        (timedelta(days=45), False),
        (timedelta(days=400), False),
    ],
)
def test_the_notice_shows_for_30_days_after_the_upgrade(client, upgraded_at, after, shown):
    with time_machine.travel(upgraded_at + after, tick=False):
        assert (NOTICE in client.get("/").data) is shown


def test_the_notice_goes_once_every_student_has_changed(client, upgraded_at, db_session):
    for user in db_session.scalars(select(User).where(User.role == Role.STUDENT)):
        user.password_changed_at = upgraded_at + timedelta(minutes=1)
    db_session.flush()
    with time_machine.travel(upgraded_at + timedelta(minutes=5), tick=False):
        assert NOTICE not in client.get("/").data


def test_no_notice_for_someone_arriving_from_account_creation(client, factory, db_session, upgraded_at):
    student = factory.student()
    user = create_account_for_approved_opt(db_session, student, actor=Actor.system())
    email = db_session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == user.id)).one()
    path = resolve_link(db_session, email).split("://", 1)[1].split("/", 1)[1]
    assert NOTICE in client.get("/").data  # someone else still has to change
    done = client.post(
        "/" + path, data={"sevis_id": student.sevis_id, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 303 and done.headers["Location"] == "/"
    page = client.get("/")
    assert b"Your account is ready" in page.data and NOTICE not in page.data
    assert NOTICE not in client.post("/", data={"email": user.email, "password": "wrong " + PASSWORD}).data
