"""Rule 12: completing an upgrade is recorded with one event; the note is one short line."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import Event
from portal.services.actors import Actor
from portal.services.errors import InvalidValue
from portal.services.upgrades import complete_upgrade


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
