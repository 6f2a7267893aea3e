"""The international office's contact (issue 13): what the "contact your DSO" block shows, and the principal DSO's
change of it (cleaned, refused on its field when malformed, one event per change, none when nothing changed)."""

import pytest
from sqlalchemy import select

from portal.models import Event
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.errors import InvalidValue, NotAllowed, NotFound
from portal.services.office_contact import FIELDS, OfficeContact, office_contact, update_office_contact

GOOD = {
    "office_name": "International Student Office",
    "office_email": "Intl-Office@Example.edu",
    "office_phone": "617-555-0100",
    "office_hours": "Monday to Friday, 9 AM to 5 PM",
    "office_address": "100 Main Street\r\nRoom 210",
}
SAVED = {
    "office_name": "International Student Office",
    "office_email": "intl-office@example.edu",
    "office_phone": "6175550100",
    "office_hours": "Monday to Friday, 9 AM to 5 PM",
    "office_address": "100 Main Street\nRoom 210",
}


@pytest.fixture
def principal(factory, school):
    return Actor.for_user(factory.user(role=Role.PRINCIPAL_DSO, school=school))


def _events(db_session):
    return db_session.scalars(
        select(Event).where(Event.event_type == "school.office_contact_changed").order_by(Event.id)
    ).all()


def _stored(school) -> dict:
    return {name: getattr(school, name) for name in FIELDS}


# --- office_contact -------------------------------------------------------------------------------------------


def test_office_contact_is_none_for_an_unknown_school():
    assert office_contact(None) is None


def test_office_contact_reads_the_schools_details(school):
    for name, value in SAVED.items():
        setattr(school, name, value)
    assert office_contact(school) == OfficeContact(
        school_name=school.name,
        office_name="International Student Office",
        email="intl-office@example.edu",
        phone="6175550100",
        hours="Monday to Friday, 9 AM to 5 PM",
        address="100 Main Street\nRoom 210",
    )


def test_a_school_with_no_details_has_only_its_name(school):
    contact = office_contact(school)
    assert contact == OfficeContact(school_name=school.name)
    assert not contact.has_details and contact.phone_text == "" and contact.phone_href is None


@pytest.mark.parametrize(
    ("phone", "text", "href"),
    [
        ("6175550100", "(617) 555-0100", "tel:+16175550100"),
        ("+442079460958", "+442079460958", "tel:+442079460958"),
        (None, "", None),
    ],
)
def test_the_phone_reads_as_people_write_it_and_dials_with_its_country_code(phone, text, href):
    contact = OfficeContact(school_name="Test University", phone=phone)
    assert (contact.phone_text, contact.phone_href) == (text, href)


@pytest.mark.parametrize(
    ("details", "has_details"),
    [
        ({}, False),
        ({"office_name": "International Student Office"}, False),  # a name alone tells no way to reach the office
        ({"email": "intl@example.edu"}, True),
        ({"phone": "6175550100"}, True),
        ({"hours": "Mondays"}, True),
        ({"address": "100 Main Street"}, True),
    ],
)
def test_the_block_has_details_only_with_a_way_to_reach_the_office(details, has_details):
    assert OfficeContact(school_name="Test University", **details).has_details is has_details


# --- update_office_contact ------------------------------------------------------------------------------------


def test_the_principal_saves_cleaned_details_and_the_change_is_one_event(db_session, school, principal):
    assert update_office_contact(db_session, school, GOOD, actor=principal) is True
    assert _stored(school) == SAVED
    [event] = _events(db_session)
    assert (event.school_id, event.student_id, event.actor_user_id, event.subject) == (
        school.id,
        None,
        principal.user_id,
        f"school:{school.id}",
    )
    assert event.before == dict.fromkeys(FIELDS) and event.after == SAVED


def test_the_same_details_again_change_nothing_and_write_no_event(db_session, school, principal):
    update_office_contact(db_session, school, GOOD, actor=principal)
    assert (
        update_office_contact(db_session, school, {**GOOD, "office_phone": "(617) 555 0100"}, actor=principal) is False
    )
    assert len(_events(db_session)) == 1


def test_the_event_holds_only_what_changed_and_clearing_is_a_change(db_session, school, principal):
    update_office_contact(db_session, school, GOOD, actor=principal)
    update_office_contact(
        db_session, school, {**GOOD, "office_hours": "  ", "office_email": "new@example.edu"}, actor=principal
    )
    assert update_office_contact(db_session, school, {}, actor=principal) is True
    assert _stored(school) == dict.fromkeys(FIELDS)
    assert [(event.before, event.after) for event in _events(db_session)][1:] == [
        (
            {"office_email": "intl-office@example.edu", "office_hours": "Monday to Friday, 9 AM to 5 PM"},
            {"office_email": "new@example.edu", "office_hours": None},
        ),
        (
            {
                "office_name": "International Student Office",
                "office_email": "new@example.edu",
                "office_phone": "6175550100",
                "office_address": "100 Main Street\nRoom 210",
            },
            {"office_name": None, "office_email": None, "office_phone": None, "office_address": None},
        ),
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("office_email", "not an address", "Enter the office email address like name@example.com."),
        ("office_email", "a@example.edu, b@example.edu", "Enter the office email address like name@example.com."),
        ("office_phone", "call us", "A phone number can contain only digits, spaces and dashes, like 617 555 0100."),
        ("office_phone", "555 0100", "Enter a 10-digit US phone number, like 617 555 0100."),
        ("office_phone", "+44 12", "Enter an international number as + and the country code, like +44 20 7946 0958."),
        ("office_name", "x" * 201, "The office name can be at most 200 characters (you entered 201)."),
        ("office_hours", "9 <b>to</b> 5", "Remove the < and > characters from the office hours."),
        ("office_address", "y" * 501, "The office address can be at most 500 characters (you entered 501)."),
    ],
)
def test_a_malformed_value_is_refused_on_its_field_and_nothing_changes(
    db_session, school, principal, field, value, message
):
    with pytest.raises(InvalidValue) as refused:
        update_office_contact(db_session, school, {**GOOD, field: value}, actor=principal)
    assert (refused.value.field, refused.value.message) == (field, message)
    assert _stored(school) == dict.fromkeys(FIELDS) and _events(db_session) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("office_name", "x" * 200), ("office_hours", "h" * 200), ("office_address", "y" * 500)],
)
def test_the_longest_allowed_values_are_saved(db_session, school, principal, field, value):
    assert update_office_contact(db_session, school, {field: value}, actor=principal) is True
    assert getattr(school, field) == value


def test_only_the_schools_principal_dso_changes_the_details(db_session, factory, school, principal):
    dso = Actor.for_user(factory.user(role=Role.DSO, school=school))
    with pytest.raises(NotAllowed, match="Only the principal DSO changes the office's contact details."):
        update_office_contact(db_session, school, GOOD, actor=dso)
    other_principal = Actor.for_user(factory.user(role=Role.PRINCIPAL_DSO, school=factory.school()))
    with pytest.raises(NotFound, match="No such school."):
        update_office_contact(db_session, school, GOOD, actor=other_principal)
    with pytest.raises(NotFound):
        update_office_contact(db_session, school, GOOD, actor=Actor.system())
    assert _stored(school) == dict.fromkeys(FIELDS) and _events(db_session) == []
