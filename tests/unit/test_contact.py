"""Phone, addresses and email change requests: validation, events, change lists and 21-day obligations (rule 15)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.models import Event, ReportingObligation
from portal.models.enums import ChangeKind, ObligationKind
from portal.services.contact import request_email_change, update_address, update_phone
from portal.services.errors import InvalidValue, NotAllowed, StaleEdit
from tests.unit.conftest import TODAY


def address(**overrides):
    data = {"line1": "12 Main Street", "line2": "Apt 3", "city": "Boston", "state": "ma", "postal_code": "02110-1234"}
    data.update(overrides)
    return data


def _obligations(db_session, student):
    return list(db_session.scalars(select(ReportingObligation).where(ReportingObligation.student_id == student.id)))


def test_address_change_writes_event_change_list_and_obligation_due_in_21_days(db_session, student, actor):
    saved = update_address(db_session, student, "physical", address(), actor=actor, expected_version=None, today=TODAY)
    assert (saved.state, saved.postal_code) == ("MA", "02110")
    event = db_session.scalar(select(Event).where(Event.event_type == "address.physical_changed"))
    assert event.change_kind is ChangeKind.ADDRESS and event.before is None and event.after["city"] == "Boston"
    [obligation] = _obligations(db_session, student)
    assert obligation.kind is ObligationKind.ADDRESS_CHANGE and obligation.due_on == TODAY + timedelta(days=21)
    assert obligation.source_event_id == event.id

    update_address(
        db_session,
        student,
        "physical",
        address(line1="40 Elm Street"),
        actor=actor,
        expected_version=saved.version,
        today=TODAY + timedelta(days=1),
    )
    latest = db_session.scalars(
        select(Event).where(Event.event_type == "address.physical_changed").order_by(Event.id.desc())
    ).first()
    assert latest.before["line1"] == "12 Main Street" and latest.after["line1"] == "40 Elm Street"


@pytest.mark.parametrize("line1", ["PO Box 123", "P.O. Box 9", "Post Office Box 77", "POB 5"])
def test_physical_address_refuses_a_po_box(db_session, student, actor, line1):
    with pytest.raises(InvalidValue, match="not a P.O. box") as error:
        update_address(
            db_session, student, "physical", address(line1=line1), actor=actor, expected_version=None, today=TODAY
        )
    assert error.value.field == "line1"


def test_mailing_address_may_be_a_po_box(db_session, student, actor):
    saved = update_address(
        db_session,
        student,
        "mailing",
        address(line1="PO Box 123", line2=""),
        actor=actor,
        expected_version=None,
        today=TODAY,
    )
    assert saved.line1 == "PO Box 123"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("state", "ZZ", "US state"),
        ("postal_code", "2110", "5-digit"),
        ("postal_code", "94105", "not in Massachusetts"),
        ("line1", "", "Enter the street address"),
        ("city", "<b>x</b>", "< and >"),
        ("line1", "a" * 1_000_000, "at most 64"),
        ("city", "Bos\x07ton", "control"),
    ],
)
def test_address_fields_are_validated(db_session, student, actor, field, value, message):
    with pytest.raises(InvalidValue, match=message):
        update_address(
            db_session, student, "physical", address(**{field: value}), actor=actor, expected_version=None, today=TODAY
        )
    assert _obligations(db_session, student) == []


def test_stale_address_edit_shows_current_values(db_session, student, actor, factory):
    existing = factory.address(student)
    with pytest.raises(StaleEdit) as error:
        update_address(
            db_session, student, "physical", address(), actor=actor, expected_version=existing.version + 1, today=TODAY
        )
    assert error.value.current["line1"] == "12 Main Street"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("(617) 555-0100", "6175550100"), ("+1 617 555 0100", "6175550100"), ("+44 20 7946 0958", "+442079460958")],
)
def test_phone_is_normalised_and_reported(db_session, student, actor, raw, stored):
    update_phone(db_session, student, raw, actor=actor, expected_version=student.version, today=TODAY)
    assert student.phone == stored
    event = db_session.scalar(select(Event).where(Event.event_type == "contact.phone_changed"))
    assert event.change_kind is ChangeKind.CONTACT and event.after == {"phone": stored}
    assert [o.kind for o in _obligations(db_session, student)] == [ObligationKind.CONTACT_CHANGE]


@pytest.mark.parametrize("raw", ["", "555", "phone", "+12", "617555010011111"])
def test_bad_phone_is_refused(db_session, student, actor, raw):
    with pytest.raises(InvalidValue) as error:
        update_phone(db_session, student, raw, actor=actor, expected_version=student.version, today=TODAY)
    assert error.value.field == "phone"


def test_stale_phone_edit_is_refused(db_session, student, actor):
    with pytest.raises(StaleEdit):
        update_phone(db_session, student, "6175550100", actor=actor, expected_version=student.version + 5, today=TODAY)


def test_email_change_is_a_request_for_the_dso(db_session, student, actor):
    old = student.email
    request_email_change(db_session, student, "New@Example.com", actor=actor, today=TODAY)
    assert student.email == old and student.requested_email == "new@example.com"
    event = db_session.scalar(select(Event).where(Event.event_type == "contact.email_change_requested"))
    assert event.after["requested_email"] == "new@example.com" and event.change_kind is ChangeKind.CONTACT
    with pytest.raises(InvalidValue, match="already your email"):
        request_email_change(db_session, student, old, actor=actor, today=TODAY)


def test_read_only_student_cannot_change_contact_details(db_session, student, actor):
    with pytest.raises(NotAllowed):
        update_phone(
            db_session, student, "6175550100", actor=actor, expected_version=student.version, today=date(2027, 3, 1)
        )
