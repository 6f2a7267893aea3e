"""The international office students are told to contact (issue 13): kept by the principal DSO, shown on every page
that says "contact your DSO", including the closed page that needs no sign-in."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal.models import School
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.errors import InvalidValue, NotAllowed, NotFound
from portal.services.events import record_event
from portal.services.validation import clean_email, clean_phone, clean_text
from portal.services.words import phone_number

FIELDS = ("office_name", "office_email", "office_phone", "office_hours", "office_address")
MAX_LENGTHS = {"office_name": 200, "office_email": 254, "office_phone": 20, "office_hours": 200, "office_address": 500}


@dataclass(frozen=True)
class OfficeContact:
    """What the "contact your DSO" block shows; every detail but the school's name may be missing."""

    school_name: str
    office_name: str | None = None
    email: str | None = None
    phone: str | None = None
    hours: str | None = None
    address: str | None = None

    @property
    def phone_text(self) -> str:
        return phone_number(self.phone)

    @property
    def phone_href(self) -> str | None:
        if not self.phone:
            return None
        return "tel:" + (self.phone if self.phone.startswith("+") else "+1" + self.phone)

    @property
    def has_details(self) -> bool:
        return any((self.email, self.phone, self.hours, self.address))


def office_contact(school: School | None) -> OfficeContact | None:
    """The school's office contact for the block; None when the school is unknown (the block says a generic line)."""
    if school is None:
        return None
    return OfficeContact(
        school_name=school.name,
        office_name=school.office_name,
        email=school.office_email,
        phone=school.office_phone,
        hours=school.office_hours,
        address=school.office_address,
    )


def _clean(data: dict) -> dict:
    phone = (data.get("office_phone") or "").strip() if isinstance(data.get("office_phone"), str) else ""
    if phone:
        try:
            phone = clean_phone(phone)
        except InvalidValue as error:  # clean_phone names the student's field; its message fits this one too
            raise InvalidValue(error.message, field="office_phone") from None
    return {
        "office_name": clean_text(
            data.get("office_name"), field="office_name", label="office name", max_length=MAX_LENGTHS["office_name"]
        ),
        "office_email": clean_email(data.get("office_email"), field="office_email", label="office email address"),
        "office_phone": phone or None,
        "office_hours": clean_text(
            data.get("office_hours"), field="office_hours", label="office hours", max_length=MAX_LENGTHS["office_hours"]
        ),
        "office_address": clean_text(
            data.get("office_address"),
            field="office_address",
            label="office address",
            max_length=MAX_LENGTHS["office_address"],
            multiline=True,
        ),
    }


def update_office_contact(session: Session, school: School, data: dict, *, actor: Actor) -> bool:
    """Save the school's office contact details; refuses anyone but the school's principal DSO and malformed values
    (each on its field). Writes one event when something changed; False when nothing did."""
    if actor.school_id != school.id:
        raise NotFound("No such school.")
    if actor.role is not Role.PRINCIPAL_DSO:
        raise NotAllowed("Only the principal DSO changes the office's contact details.")
    cleaned = _clean(data)
    before = {name: getattr(school, name) for name in FIELDS}
    if cleaned == before:
        return False
    for name, value in cleaned.items():
        setattr(school, name, value)
    record_event(
        session,
        actor,
        "school.office_contact_changed",
        school_id=school.id,
        subject=f"school:{school.id}",
        before={name: before[name] for name in FIELDS if before[name] != cleaned[name]},
        after={name: cleaned[name] for name in FIELDS if before[name] != cleaned[name]},
    )
    session.flush()
    return True
