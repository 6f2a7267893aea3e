"""Rule 12 from the operator's side: the upgrades page and `portal upgrade complete`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.models import Event, Upgrade, utcnow
from portal.models.enums import Role
from portal.services.upgrades import must_change_password
from tests.web.conftest import HX


def test_operator_completes_an_upgrade_that_forces_a_password_change(client, factory, sign_in, db_session):
    student_user = factory.user(role=Role.STUDENT)
    student_user.password_changed_at = utcnow() - timedelta(minutes=5)
    sign_in(factory.user(role=Role.OPERATOR))
    assert client.get("/operator/upgrades/").status_code == 200
    response = client.post("/operator/upgrades/", data={"note": "Release 2.4", "force_password_change": "y"})
    assert response.status_code == 303
    upgrade = db_session.scalars(select(Upgrade)).one()
    assert upgrade.force_password_change and upgrade.note == "Release 2.4"
    assert must_change_password(db_session, student_user)
    assert db_session.scalars(
        select(Event.event_type).where(Event.subject == f"upgrade:{upgrade.id}").order_by(Event.id)
    ).all() == ["upgrade.completed"]
    assert b"Release 2.4" in client.get("/operator/upgrades/").data


def test_upgrade_without_the_flag_forces_nothing(client, factory, sign_in, db_session):
    student_user = factory.user(role=Role.STUDENT)
    student_user.password_changed_at = utcnow() - timedelta(minutes=5)
    sign_in(factory.user(role=Role.OPERATOR))
    client.post("/operator/upgrades/", data={"note": ""}, headers=HX)
    assert not must_change_password(db_session, student_user)


def test_upgrade_note_too_long_is_a_form_error(client, factory, sign_in):
    sign_in(factory.user(role=Role.OPERATOR))
    response = client.post("/operator/upgrades/", data={"note": "x" * 5000}, headers=HX)
    assert response.status_code == 422 and b"300 characters" in response.data and b"<html" not in response.data


def test_cli_upgrade_complete_with_forced_change(app, db_session):
    result = app.test_cli_runner().invoke(args=["upgrade", "complete", "--force-password-change", "--note", "CLI"])
    assert result.exit_code == 0, result.output
    assert "must choose a new password" in result.output
    upgrade = db_session.scalars(select(Upgrade).where(Upgrade.note == "CLI")).one()
    assert upgrade.force_password_change
