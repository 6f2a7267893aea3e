"""A student's phone, addresses and email change requests (DESIGN rule 15): each change is an event,
a change-list entry and a school reporting obligation due in 21 days."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy.orm import Session

from portal.models import Address, Student
from portal.models.enums import AddressKind, ChangeKind, ObligationKind
from portal.services.access import require_actor_may_change
from portal.services.actors import Actor
from portal.services.clock import today_eastern
from portal.services.errors import Conflict, InvalidValue, StaleEdit
from portal.services.events import record_event
from portal.services.obligations import add_obligation
from portal.services.receipts import changed_line, queue_report_receipt
from portal.services.validation import clean_email, clean_phone, clean_state, clean_text, clean_zip
from portal.services.words import phone_number

SCHOOL_RECORDS_WITHIN_DAYS = 21
PO_BOX = re.compile(r"\b(p\s*\.?\s*o\s*\.?\s*b(ox)?|post\s+office\s+box|pob|box)\s*#?\s*\d", re.IGNORECASE)


def _obligation(session, student, kind, event, description, today):
    add_obligation(
        session,
        student,
        kind=kind,
        due_on=today + timedelta(days=SCHOOL_RECORDS_WITHIN_DAYS),
        description=description,
        window_opens_on=today,
        source_event=event,
    )


def update_phone(
    session: Session, student: Student, phone, *, actor: Actor, expected_version: int, today: date | None = None
) -> Student:
    """Change the student's phone number; refuses a stale form, a malformed number and read-only access."""
    today = today or today_eastern()
    require_actor_may_change(session, student, actor, what="details", today=today)
    if int(expected_version) != student.version:
        raise StaleEdit(
            "Your contact details changed after you opened the form. Check the current values.",
            current={"phone": student.phone},
        )
    phone = clean_phone(phone)
    if phone == student.phone:
        return student
    before = {"phone": student.phone}
    student.phone = phone
    session.flush()
    event = record_event(
        session,
        actor,
        "contact.phone_changed",
        student=student,
        change_kind=ChangeKind.CONTACT,
        subject=f"student:{student.id}",
        before=before,
        after={"phone": phone},
    )
    _obligation(session, student, ObligationKind.CONTACT_CHANGE, event, "Record the student's new phone number.", today)
    line = changed_line("Phone number", phone_number(before["phone"]) or None, phone_number(phone))
    queue_report_receipt(session, student, [line], about="phone number change", actor=actor, today=today)
    return student


def _one_line(values: dict | None) -> str | None:
    """An address on one line, as the receipt shows it."""
    if not values:
        return None
    parts = [values["line1"], values["line2"], values["city"], f"{values['state']} {values['postal_code']}"]
    return ", ".join(part for part in parts if part)


def clean_address(kind: AddressKind, data: dict) -> dict:
    """A US address; a physical address must be a street address, never a P.O. box (DESIGN rule 15)."""
    values = {
        "line1": clean_text(data.get("line1"), field="line1", label="street address", max_length=64, required=True),
        "line2": clean_text(data.get("line2"), field="line2", label="second address line", max_length=64) or "",
        "city": clean_text(data.get("city"), field="city", label="city", max_length=60, required=True),
        "state": clean_state(data.get("state")),
    }
    values["postal_code"] = clean_zip(data.get("postal_code"), state=values["state"])
    if kind == AddressKind.PHYSICAL:
        for name in ("line1", "line2"):
            if PO_BOX.search(values[name]):
                raise InvalidValue(
                    "Your physical address must be where you live, not a P.O. box. "
                    "Put a P.O. box in your mailing address instead.",
                    field=name,
                )
    return values


def update_address(
    session: Session,
    student: Student,
    kind,
    data: dict,
    *,
    actor: Actor,
    expected_version: int | None,
    today: date | None = None,
) -> Address:
    """Set the student's physical or mailing address.

    Refuses a stale form (``expected_version`` None means "there was no address yet"), an invalid
    address, a P.O. box as the physical address, and read-only access.
    """
    today = today or today_eastern()
    kind = AddressKind(kind)
    require_actor_may_change(session, student, actor, what="details", today=today)
    address = next((item for item in student.addresses if item.kind == kind), None)
    current_version = address.version if address is not None else None
    if (int(expected_version) if expected_version not in (None, "") else None) != current_version:
        current = (
            {key: getattr(address, key) for key in ("line1", "line2", "city", "state", "postal_code")}
            if address
            else {}
        )
        raise StaleEdit("This address changed after you opened the form. Check the current values.", current=current)
    values = clean_address(kind, data)
    before = {key: getattr(address, key) for key in values} if address is not None else None
    if before == values:
        return address
    if address is None:
        address = Address(student=student, student_id=student.id, kind=kind, **values)
        session.add(address)
    else:
        for key, value in values.items():
            setattr(address, key, value)
    session.flush()
    event = record_event(
        session,
        actor,
        f"address.{kind.value}_changed",
        student=student,
        change_kind=ChangeKind.ADDRESS,
        subject=f"address:{kind.value}",
        before=before,
        after=values,
    )
    _obligation(
        session, student, ObligationKind.ADDRESS_CHANGE, event, f"Record the student's new {kind.value} address.", today
    )
    label = f"{kind.value.capitalize()} address"
    line = (
        changed_line(label, _one_line(before), _one_line(values))
        if before is not None
        else f"{label} added: {_one_line(values)}"
    )
    what = "address" if kind == AddressKind.PHYSICAL else "mailing address"
    queue_report_receipt(
        session,
        student,
        [line],
        about=f"{what} change" if before is not None else f"new {what}",
        actor=actor,
        today=today,
    )
    return address


def remove_mailing_address(
    session: Session, student: Student, *, actor: Actor, expected_version: int, today: date | None = None
) -> None:
    """Remove the optional mailing address; refuses a stale form and when there is none."""
    today = today or today_eastern()
    require_actor_may_change(session, student, actor, what="details", today=today)
    address = next((item for item in student.addresses if item.kind == AddressKind.MAILING), None)
    if address is None:
        raise Conflict("You have no mailing address to remove.")
    if int(expected_version) != address.version:
        raise StaleEdit("Your mailing address changed after you opened the page.", current={"line1": address.line1})
    before = {key: getattr(address, key) for key in ("line1", "line2", "city", "state", "postal_code")}
    student.addresses.remove(address)
    session.delete(address)
    session.flush()
    event = record_event(
        session,
        actor,
        "address.mailing_removed",
        student=student,
        change_kind=ChangeKind.ADDRESS,
        subject="address:mailing",
        before=before,
        after=None,
    )
    _obligation(session, student, ObligationKind.ADDRESS_CHANGE, event, "Remove the student's mailing address.", today)
    queue_report_receipt(
        session,
        student,
        [f"Mailing address removed: {_one_line(before)}"],
        about="mailing address removal",
        actor=actor,
        today=today,
    )


def request_email_change(
    session: Session, student: Student, new_email, *, actor: Actor, today: date | None = None
) -> Student:
    """Ask the DSO to change the email of record (the DSO changes it, as in SEVIS); refuses the current address."""
    today = today or today_eastern()
    require_actor_may_change(session, student, actor, what="details", today=today)
    email = clean_email(new_email, field="email", required=True)
    if email == student.email:
        raise InvalidValue("That is already your email address of record.", field="email")
    before = {"email": student.email, "requested_email": student.requested_email}
    student.requested_email = email
    session.flush()
    event = record_event(
        session,
        actor,
        "contact.email_change_requested",
        student=student,
        change_kind=ChangeKind.CONTACT,
        subject=f"student:{student.id}",
        before=before,
        after={"email": student.email, "requested_email": email},
    )
    _obligation(
        session,
        student,
        ObligationKind.CONTACT_CHANGE,
        event,
        f"Change the student's email of record to {email} as they asked.",
        today,
    )
    queue_report_receipt(
        session,
        student,
        [f"Asked your school to change your email address of record to {email}"],
        about="request to change your email address",
        actor=actor,
        today=today,
    )
    return student
