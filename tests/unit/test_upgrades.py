"""Rule 12: completing an upgrade is recorded with one event; the note is one short line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import Event, Upgrade, utcnow
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.errors import InvalidValue
from portal.services.upgrades import complete_upgrade, must_change_password
from tests.support.accounts import invited_student


@pytest.mark.parametrize("force", [True, False])
def test_complete_upgrade_records_the_flag_and_one_event(db_session, force):
    upgrade = complete_upgrade(db_session, actor=Actor.system(), force_password_change=force, note=" Release 3 ")
    assert upgrade.force_password_change is force and upgrade.note == "Release 3"
    events = db_session.scalars(select(Event).where(Event.subject == f"upgrade:{upgrade.id}").order_by(Event.id)).all()
    assert [event.event_type for event in events] == ["upgrade.completed"]


@pytest.mark.parametrize("note", ["x" * 301, "two\nlines", "nul\x00"])
def test_complete_upgrade_refuses_a_bad_note(db_session, note):
    with pytest.raises(InvalidValue):
        complete_upgrade(db_session, actor=Actor.system(), force_password_change=True, note=note)


@pytest.mark.parametrize(
    "changed_days_ago, upgrade_days_ago, force, must",
    [
        (3, 1, True, True),
        (1, 3, True, False),
        (3, 1, False, False),
        (None, None, None, False),
    ],
)
def test_must_change_password_after_a_forcing_upgrade(
    factory, db_session, changed_days_ago, upgrade_days_ago, force, must
):
    user = factory.user(role=Role.STUDENT)
    if changed_days_ago is not None:
        user.password_changed_at = utcnow() - timedelta(days=changed_days_ago)
        db_session.add(Upgrade(completed_at=utcnow() - timedelta(days=upgrade_days_ago), force_password_change=force))
        db_session.flush()
    assert must_change_password(db_session, user) is must


def test_forced_change_spares_officials_and_unfinished_accounts(factory, db_session):
    official = factory.user(role=Role.DSO)
    _, invited = invited_student(factory, db_session)
    official.password_changed_at = utcnow() - timedelta(days=5)
    db_session.add(Upgrade(completed_at=utcnow(), force_password_change=True))
    db_session.flush()
    assert not must_change_password(db_session, official)
    assert not must_change_password(db_session, invited)
