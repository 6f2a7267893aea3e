"""The Email digest page: each official chooses their own digest (off, daily, weekly), reached from Sign-in and
security; a missing or unknown choice gets its message on the field (422), never a 500."""

import re

import pytest
from sqlalchemy import select

from portal.models import Event
from portal.models.enums import DigestCadence, Role


@pytest.mark.parametrize("role", [Role.DSO, Role.PRINCIPAL_DSO])
def test_an_official_reaches_the_digest_from_account_security_and_turns_it_on(
    client, factory, school, sign_in, db_session, role
):
    official = factory.user(role=role, school=school)
    sign_in(official)
    security = client.get("/account/security").get_data(as_text=True)
    assert 'href="/admin/digest"' in security and "Email digest" in security
    page = client.get("/admin/digest").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="off"|<input[^>]*value="off"[^>]*checked', page)
    response = client.post("/admin/digest", data={"cadence": "weekly"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/digest")
    db_session.refresh(official)
    assert official.digest_cadence is DigestCadence.WEEKLY
    assert "Saved. Email digest: weekly." in client.get("/admin/digest").get_data(as_text=True)
    event = db_session.scalar(select(Event).where(Event.event_type == "official.digest_changed"))
    assert event.user_id == official.id and event.actor_user_id == official.id


def test_htmx_swaps_the_form_with_the_confirmation(client, dso, db_session):
    response = client.post("/admin/digest", data={"cadence": "daily"}, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="digest-settings"' in body and "Saved. Email digest: daily." in body and "<html" not in body
    db_session.refresh(dso)
    assert dso.digest_cadence is DigestCadence.DAILY


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"cadence": "hourly"}, "Choose off, daily or weekly."),
        ({"cadence": ""}, "Choose off, daily or weekly."),
        ({}, "Choose off, daily or weekly."),
        ({"cadence": "x" * 5000}, "Choose off, daily or weekly."),
    ],
)
def test_a_bad_choice_gets_its_message_on_the_field(client, dso, db_session, data, message):
    response = client.post("/admin/digest", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'<span class="usa-error-message" id="cadence-error" role="alert">' + re.escape(message), body)
    db_session.refresh(dso)
    assert dso.digest_cadence is DigestCadence.OFF
    assert db_session.scalar(select(Event).where(Event.event_type == "official.digest_changed")) is None


@pytest.mark.parametrize("role", [Role.STUDENT, Role.SUPPORT, Role.OPERATOR])
def test_only_school_officials_have_a_digest(client, factory, sign_in, role):
    sign_in(factory.user(role=role))
    assert client.get("/admin/digest").status_code == 403
    assert client.post("/admin/digest", data={"cadence": "daily"}).status_code == 403
    assert 'href="/admin/digest"' not in client.get("/account/security").get_data(as_text=True)


def test_an_official_changes_only_their_own_digest(client, factory, school, sign_in, db_session):
    colleague = factory.user(role=Role.DSO, school=school)
    elsewhere = factory.user(role=Role.PRINCIPAL_DSO, school=factory.school())
    me = factory.user(role=Role.DSO, school=school)
    sign_in(me)
    assert client.post("/admin/digest", data={"cadence": "daily", "user_id": str(elsewhere.id)}).status_code == 303
    for other in (colleague, elsewhere):
        db_session.refresh(other)
        assert other.digest_cadence is DigestCadence.OFF
    db_session.refresh(me)
    assert me.digest_cadence is DigestCadence.DAILY


def test_the_change_list_page_links_the_digest(client, dso):
    assert 'href="/admin/digest"' in client.get("/admin/change-lists").get_data(as_text=True)
