"""Contact page: phone, addresses (no P.O. box as physical), email change request; htmx and plain."""

import pytest
from sqlalchemy import select

from portal.models import Address, Event, ReportingObligation
from tests.web.conftest import HX


def address(kind, **overrides):
    data = {
        "line1": "12 Main Street",
        "line2": "",
        "city": "Boston",
        "state": "MA",
        "postal_code": "02110",
        "version": "",
    }
    data.update(overrides)
    return {f"{kind}-{key}": value for key, value in data.items()}


def test_contact_page_has_phone_first_inputs(client, signed_in):
    body = client.get("/contact").get_data(as_text=True)
    assert 'type="tel"' in body and 'inputmode="tel"' in body and 'autocomplete="tel"' in body
    assert 'autocomplete="postal-code"' in body and 'inputmode="numeric"' in body
    assert 'autocomplete="section-mailing address-line1"' in body


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_physical_address_is_saved_with_event_and_obligation(client, signed_in, student, db_session, headers):
    response = client.post("/contact/address/physical", data=address("physical"), headers=headers)
    assert response.status_code == (204 if headers else 303)
    saved = db_session.scalar(select(Address).where(Address.student_id == student.id))
    assert saved.line1 == "12 Main Street"
    assert db_session.scalar(
        select(Event).where(Event.event_type == "address.physical_changed", Event.student_id == student.id)
    )
    assert db_session.scalar(select(ReportingObligation).where(ReportingObligation.student_id == student.id))


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_po_box_physical_address_is_422_on_the_field(client, signed_in, headers):
    response = client.post("/contact/address/physical", data=address("physical", line1="PO Box 44"), headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "not a P.O. box" in body and 'id="physical-line1-error"' in body
    assert ("<html" in body) is (not headers)


def test_zip_not_in_state_is_refused(client, signed_in):
    response = client.post("/contact/address/mailing", data=address("mailing", postal_code="94105"))
    assert response.status_code == 422 and "not in Massachusetts" in response.get_data(as_text=True)


def test_stale_address_edit_is_409_with_current_values(client, signed_in, factory, student):
    factory.address(student, line1="1 Old Road")
    response = client.post("/contact/address/physical", data=address("physical", version=""), headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and "1 Old Road" in body and 'id="stale-physical"' in body


def test_phone_change_and_bad_phone(client, signed_in, student, db_session):
    assert client.post("/contact/phone", data={"phone": "abc", "version": student.version}).status_code == 422
    assert client.post("/contact/phone", data={"phone": "617-555-0100", "version": student.version}).status_code == 303
    db_session.refresh(student)
    assert student.phone == "6175550100"
    assert 'value="(617) 555-0100"' in client.get("/contact").get_data(as_text=True)  # shown as people write it
    stale = client.post("/contact/phone", data={"phone": "6175550111", "version": "tampered"})
    assert stale.status_code == 409


def test_email_change_is_a_request(client, signed_in, student, db_session):
    response = client.post("/contact/email", data={"email": "mine@example.org"})
    assert response.status_code == 303
    db_session.refresh(student)
    assert student.requested_email == "mine@example.org"
    assert "mine@example.org" in client.get("/contact").get_data(as_text=True)


def test_unknown_address_kind_is_404(client, signed_in):
    assert client.post("/contact/address/office", data={}).status_code == 404


def test_mailing_address_can_be_removed(client, signed_in, factory, student, db_session):
    mailing = factory.address(student, kind="mailing", line1="PO Box 9")
    response = client.post("/contact/address/mailing/remove", data={"mailing-version": mailing.version})
    assert response.status_code == 303
    assert db_session.scalar(select(Address).where(Address.student_id == student.id)) is None
    assert client.post("/contact/address/mailing/remove", data={"mailing-version": 1}).status_code == 409


def test_the_optional_mailing_address_marks_no_field_required(client, signed_in):
    page = client.get("/contact").get_data(as_text=True)
    physical, mailing = page.split('id="mailing-section"')
    assert 'title="required"' in physical and "required" in physical.split('id="physical-line1"')[1].split(">")[0]
    mailing = mailing.split("</section>")[0]
    assert 'title="required"' not in mailing
    assert " required" not in mailing.split('id="mailing-line1"')[1].split(">")[0]


def test_a_list_of_addresses_cannot_become_the_requested_email_of_record(client, signed_in, student, db_session):
    response = client.post("/contact/email", data={"email": "postmaster,abuse,victim2@evil.example"})
    assert response.status_code == 422 and "like name@example.com" in response.get_data(as_text=True)
    db_session.refresh(student)
    assert student.requested_email is None


RELOAD = "Reload the page and make your changes again."


@pytest.mark.parametrize("version", [None, ""], ids=["absent", "empty"])
def test_a_phone_change_without_its_version_is_422_asking_to_reload(client, signed_in, student, db_session, version):
    data = {"phone": "6175550111"} | ({} if version is None else {"version": version})
    response = client.post("/contact/phone", data=data)
    assert response.status_code == 422 and RELOAD in response.get_data(as_text=True)
    db_session.refresh(student)
    assert student.phone != "6175550111"


@pytest.mark.parametrize("on_file", [False, True], ids=["none-yet", "on-file"])
def test_an_address_posted_without_its_version_field_is_422_asking_to_reload(
    client, signed_in, factory, student, db_session, on_file
):
    if on_file:
        factory.address(student, line1="1 Old Road")
    data = {key: value for key, value in address("physical", line1="9 New Road").items() if key != "physical-version"}
    response = client.post("/contact/address/physical", data=data, headers=HX)
    assert response.status_code == 422 and RELOAD in response.get_data(as_text=True)
    assert db_session.scalars(select(Address.line1).where(Address.student_id == student.id)).all() == (
        ["1 Old Road"] if on_file else []
    )


def test_removing_the_mailing_address_without_its_version_is_422(client, signed_in, factory, student, db_session):
    factory.address(student, kind="mailing", line1="PO Box 9")
    response = client.post("/contact/address/mailing/remove", data={})
    assert response.status_code == 422 and RELOAD in response.get_data(as_text=True)
    assert db_session.scalars(select(Address.line1).where(Address.student_id == student.id)).all() == ["PO Box 9"]
