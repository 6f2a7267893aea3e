"""Issue 13, "a DSO to call": the principal DSO keeps the international office's contact details; every official of
the school sees them; a malformed value gets its message on the field (422), never a 500; another school's official
neither sees nor changes them."""

import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from portal.models import Event
from portal.models.enums import Role

GOOD = {
    "office_name": "International Student Office",
    "office_email": "Intl-Office@Example.edu",
    "office_phone": "617-555-0100",
    "office_hours": "Monday to Friday, 9 AM to 5 PM",
    "office_address": "100 Main Street\r\nRoom 210",
}


@pytest.fixture
def principal(factory, school, sign_in):
    user = factory.user(role=Role.PRINCIPAL_DSO, school=school)
    sign_in(user)
    return user


def _events(db_session):
    return db_session.scalars(
        select(Event).where(Event.event_type == "school.office_contact_changed").order_by(Event.id)
    ).all()


def test_the_principal_saves_the_details_and_the_change_is_an_event(client, principal, school, db_session):
    response = client.post("/admin/office-contact", data=GOOD)
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/office-contact")
    db_session.refresh(school)
    assert (school.office_name, school.office_email, school.office_phone, school.office_hours) == (
        "International Student Office",
        "intl-office@example.edu",
        "6175550100",
        "Monday to Friday, 9 AM to 5 PM",
    )
    assert school.office_address == "100 Main Street\nRoom 210"
    page = client.get("/admin/office-contact").get_data(as_text=True)
    assert "Saved." in page and "(617) 555-0100" in page and 'href="tel:+16175550100"' in page
    [event] = _events(db_session)
    assert event.school_id == school.id and event.actor_user_id == principal.id and event.student_id is None
    assert event.after["office_email"] == "intl-office@example.edu" and event.before["office_email"] is None
    client.post("/admin/office-contact", data=GOOD)  # the same values again: nothing changed, no second event
    assert len(_events(db_session)) == 1


def test_every_detail_is_optional_and_clearing_them_is_recorded(client, principal, school, db_session):
    client.post("/admin/office-contact", data=GOOD)
    assert client.post("/admin/office-contact", data={}).status_code == 303
    db_session.refresh(school)
    assert school.office_email is None and school.office_phone is None and school.office_address is None
    assert len(_events(db_session)) == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("office_email", "not an address", "Enter the office email address like name@example.com."),
        ("office_email", "a@example.edu, b@example.edu", "Enter the office email address like name@example.com."),
        ("office_phone", "call us", "A phone number can contain only digits, spaces and dashes"),
        ("office_phone", "555 0100", "Enter a 10-digit US phone number"),
        ("office_phone", "+44 12", "Enter an international number as + and the country code"),
        ("office_name", "x" * 201, "The office name can be at most 200 characters (you entered 201)."),
        ("office_hours", "9 <b>to</b> 5", "Remove the < and > characters from the office hours."),
        ("office_address", "y" * 5000, "The office address can be at most 500 characters (you entered 5000)."),
    ],
)
def test_a_malformed_value_gets_its_message_on_the_field(client, principal, school, db_session, field, value, message):
    response = client.post("/admin/office-contact", data={**GOOD, field: value})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(
        rf'<span class="usa-error-message" id="{field}-error" role="alert">\s*' + re.escape(str(escape(message))), body
    )
    db_session.refresh(school)
    assert school.office_email is None and _events(db_session) == []


def test_htmx_swaps_the_form_with_the_confirmation(client, principal):
    response = client.post("/admin/office-contact", data=GOOD, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert 'id="office-contact-settings"' in body and "Saved." in body and "intl-office@example.edu" in body


def test_a_dso_sees_the_details_but_cannot_change_them(client, factory, school, sign_in, db_session):
    school.office_email = "intl-office@example.edu"
    db_session.flush()
    sign_in(factory.user(role=Role.DSO, school=school))
    page = client.get("/admin/office-contact").get_data(as_text=True)
    assert "intl-office@example.edu" in page and "Only your school's principal DSO changes these details." in page
    assert 'action="/admin/office-contact"' not in page
    assert client.post("/admin/office-contact", data={**GOOD, "office_email": "x@example.edu"}).status_code == 403
    db_session.refresh(school)
    assert school.office_email == "intl-office@example.edu"


def test_another_schools_principal_sees_and_changes_only_their_own(client, factory, school, sign_in, db_session):
    school.office_email = "intl-office@example.edu"
    db_session.flush()
    other = factory.school(name="Other College")
    sign_in(factory.user(role=Role.PRINCIPAL_DSO, school=other))
    page = client.get("/admin/office-contact").get_data(as_text=True)
    assert "intl-office@example.edu" not in page and "Other College" in page
    client.post("/admin/office-contact", data={**GOOD, "office_email": "intl@other.edu"})
    db_session.refresh(school)
    db_session.refresh(other)
    assert school.office_email == "intl-office@example.edu" and other.office_email == "intl@other.edu"


@pytest.mark.parametrize("role", [Role.STUDENT, Role.SUPPORT, Role.OPERATOR])
def test_only_school_officials_reach_the_page(client, factory, sign_in, role):
    sign_in(factory.user(role=role))
    assert client.get("/admin/office-contact").status_code == 403
    assert client.post("/admin/office-contact", data=GOOD).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/admin/office-contact").status_code in (302, 303)
    assert client.post("/admin/office-contact", data=GOOD).status_code in (302, 303, 400)


def test_the_officials_page_links_to_the_settings(client, principal):
    assert 'href="/admin/office-contact"' in client.get("/admin/officials").get_data(as_text=True)
