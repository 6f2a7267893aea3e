"""The change list as SEVIS batch XML (Create-UpdateStudent.xsd): each student's changes in a range folded to their
net effect, one UpdateStudent/Student record per employer and one for the contact details (rule 9)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from portal.models import Employer, Event, Student
from portal.models.enums import ChangeKind
from portal.services.actors import Actor
from portal.services.change_lists import ChangeRange, range_conditions
from portal.services.sevis import batch_files
from portal.services.sevis.batch_files import BatchRecord
from portal.services.sevis.net_effect import (
    US_PHONE,
    EmployerNet,
    HandEntry,
    by_hand_kind,
    event_reference,
    hand_entries,
)

BATCH = 500


def _el(name: str, value) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def _address_xml(values: dict, prefix: str = "") -> str:
    get = lambda key: values.get(prefix + key) if prefix + key in values else values.get(key)  # noqa: E731
    parts = [_el("Address1", get("line1"))]
    if get("line2"):
        parts.append(_el("Address2", get("line2")))
    parts += [_el("City", get("city")), _el("State", get("state")), _el("PostalCode", get("postal_code"))]
    return "".join(parts)


def _employer_address(values: dict) -> str:
    parts = [_el("Address1", values["address_line1"])]
    if values.get("address_line2"):
        parts.append(_el("Address2", values["address_line2"]))
    parts += [_el("City", values["city"]), _el("State", values["state"]), _el("PostalCode", values["postal_code"])]
    return "".join(parts)


_EMPLOYMENT_TIME = {"full_time": "01", "part_time": "02"}
_OPTIONAL_TAIL = (
    ("supervisor_first_name", "SupervisorFirstName"),
    ("supervisor_last_name", "SupervisorLastName"),
    ("supervisor_phone", "SupervisorPhone"),
    ("supervisor_phone_ext", "SupervisorPhoneExt"),
    ("supervisor_email", "SupervisorEmail"),
    ("job_title", "StudentsJobTitle"),
)


def _employer_xml(values: dict, *, full: bool) -> str:
    """An Employer (full) or UpdateEmployerType (only the fields present) in the schema's order."""
    parts = []
    if values.get("name"):
        parts.append(_el("EmployerName", values["name"]))
    if full or "address_line1" in values:
        if values.get("address_line1"):
            parts.append(f"<EmployerAddress>{_employer_address(values)}</EmployerAddress>")
    if values.get("ein"):
        parts.append(_el("EmployerEIN", values["ein"]))
    if "self_employed" in values and values["self_employed"] is not None:
        parts.append(_el("SelfEmployed", "Y" if values["self_employed"] else "N"))
    if values.get("course_relevance"):
        parts.append(_el("CourseRelevance", values["course_relevance"]))
    if values.get("employment_time"):
        parts.append(_el("FullPartTimeIndicator", _EMPLOYMENT_TIME[values["employment_time"]]))
    if values.get("start_date"):
        parts.append(_el("StartDate", values["start_date"]))
    if values.get("end_date"):
        parts.append(_el("EndDate", values["end_date"]))
    for key, tag in _OPTIONAL_TAIL:
        if values.get(key):
            parts.append(_el(tag, values[key]))
    return "".join(parts)


def _employment_identifier(employer: Employer | None) -> str | None:
    opt = employer.opt_authorization if employer is not None else None
    if opt is None:
        return None
    return (
        f"<EmploymentIdentifier>{_el('StartDate', opt.start_date)}{_el('EndDate', opt.end_date)}</EmploymentIdentifier>"
    )


EMPLOYER_EVENTS = (
    "employer.added",
    "employer.restored",
    "employer.deleted",
    "employer.updated",
    "employer.resubmitted",
    "employer.reviewed",
)
PERSONAL_EVENTS = (
    "address.physical_changed",
    "address.mailing_changed",
    "address.mailing_removed",
    "contact.phone_changed",
    "contact.email_change_requested",
)
XML_KINDS = (ChangeKind.EMPLOYER, ChangeKind.ADDRESS, ChangeKind.CONTACT)
# Fields of an employer event that are the portal's own bookkeeping, never sent to SEVIS.
_NOT_SENT = frozenset({"id", "reported_late", "review_status", "note"})
_EMPLOYER_ADDRESS = ("address_line1", "address_line2", "city", "state", "postal_code")


def _employer_record(net: EmployerNet, employer: Employer | None) -> str | None:
    """The net effect of one employer's events as an OPTEmployer element, or None when there is nothing to send."""
    identifier = _employment_identifier(employer)
    if identifier is None or net.last_event is None:
        return None
    if not net.present_at_start:
        if not net.present_at_end or not net.final:
            return None  # added and then deleted as "never worked here": SEVIS never hears of it
        return f'<OPTEmployer><Add printForm="false">{identifier}<Employer>{_employer_xml(net.final, full=True)}</Employer></Add></OPTEmployer>'
    if not net.present_at_end:
        return None  # a deletion of an employer SEVIS holds: by hand
    changed = {
        key: value
        for key, value in net.final.items()
        if key not in _NOT_SENT and key in net.start and net.start[key] != value
    }
    if not changed:
        return None
    if any(key in _EMPLOYER_ADDRESS for key in changed):  # SEVIS takes the whole address
        current = {**{key: getattr(employer, key) for key in _EMPLOYER_ADDRESS}, **net.final}
        changed.update({key: current.get(key) for key in _EMPLOYER_ADDRESS})
    name = net.start.get("name") or net.final.get("name") or employer.name
    started = net.start.get("start_date") or net.final.get("start_date") or employer.start_date.isoformat()
    identity = f"<EmployerIdentifier>{_el('EmployerName', name)}{_el('StartDate', started)}</EmployerIdentifier>"
    return f'<OPTEmployer><Edit printForm="false">{identifier}{identity}<Employer>{_employer_xml(changed, full=False)}</Employer></Edit></OPTEmployer>'


def _address_values(values: dict | None) -> dict | None:
    if not values:
        return None
    return {key: values.get(key) for key in ("line1", "line2", "city", "state", "postal_code")}


def _personal_record(events: list[Event]) -> str | None:
    """The net effect of a student's contact and address changes as one PersonalInfo element (None for none)."""
    start: dict[str, object] = {}
    final: dict[str, object] = {}
    for event in events:
        before, after = event.before or {}, event.after or {}
        if event.event_type == "contact.phone_changed":
            start.setdefault("phone", before.get("phone"))
            final["phone"] = after.get("phone")
        elif event.event_type == "contact.email_change_requested":
            start.setdefault("email", before.get("email"))
            final["email"] = after.get("requested_email") or after.get("email")
        else:
            kind = "physical" if event.event_type == "address.physical_changed" else "mailing"
            start.setdefault(kind, _address_values(event.before))
            final[kind] = _address_values(event.after)
    changed = {key: value for key, value in final.items() if value and value != start.get(key)}
    parts = []
    if changed.get("email"):
        parts.append(_el("Email", changed["email"]))
    if changed.get("phone") and US_PHONE.fullmatch(str(changed["phone"])):
        parts.append(
            "<Telephone><TelephoneExemptInd>N</TelephoneExemptInd>"
            f"<Phone>{_el('USNumber', changed['phone'])}</Phone></Telephone>"
        )
    if changed.get("physical"):
        parts.append(f"<USAddress>{_address_xml(changed['physical'])}</USAddress>")
    if changed.get("mailing"):
        parts.append(f"<MailingAddress>{_address_xml(changed['mailing'])}</MailingAddress>")
    return f'<PersonalInfo printForm="false">{"".join(parts)}</PersonalInfo>' if parts else None


@dataclass
class StudentNet:
    """A student's net effect in a range: the XML records (reference, element) and what to enter by hand."""

    student: Student
    records: list[tuple[str, str]]
    by_hand: list[HandEntry]
    carried: list[tuple[int, ...]] = field(default_factory=list)  # per record: the events it carries


def net_changes(session: Session, school_id: int, change_range: ChangeRange) -> Iterator[StudentNet]:
    """Each student's changes in the range folded to their net effect (rule 9), student by student."""
    kinds = tuple(kind for kind in change_range.kinds if kind in (*XML_KINDS, ChangeKind.DOCUMENT))
    if not kinds:
        return
    conditions = range_conditions(school_id, replace(change_range, kinds=kinds))
    statement = (
        select(Event)
        .where(
            *conditions,
            Event.student_id.is_not(None),
            or_(Event.event_type.in_(EMPLOYER_EVENTS + PERSONAL_EVENTS), Event.change_kind == ChangeKind.DOCUMENT),
        )
        .order_by(Event.student_id, Event.occurred_at, Event.id)
        .execution_options(yield_per=BATCH)
    )
    group: list[Event] = []
    for event in session.scalars(statement):
        if group and group[0].student_id != event.student_id:
            yield _student_net(session, group)
            group = []
        group.append(event)
    if group:
        yield _student_net(session, group)


def _student_net(session: Session, events: list[Event]) -> StudentNet:
    student = session.get(Student, events[0].student_id)
    by_employer: dict[str, EmployerNet] = {}
    for event in events:
        if event.event_type in EMPLOYER_EVENTS and (event.subject or "").startswith("employer:"):
            by_employer.setdefault(event.subject, EmployerNet()).apply(event)
    employers = _employers_for(session, list(by_employer))
    records = []
    for subject, net in by_employer.items():
        body = _employer_record(net, employers.get(_subject_id(subject)))
        if body is not None:
            records.append(
                (
                    net.last_event.occurred_at,
                    net.last_event.id,
                    body,
                    _carried(event for event in events if event.subject == subject),
                )
            )
    personal = [event for event in events if event.event_type in PERSONAL_EVENTS]
    body = _personal_record(personal) if personal else None
    if body is not None:
        records.append((personal[-1].occurred_at, personal[-1].id, body, _carried(personal)))
    records.sort(key=lambda record: (record[0], record[1]))
    return StudentNet(
        student,
        [(event_reference(event_id), body) for _, event_id, body, _ in records],
        hand_entries(student, by_employer, events),
        [carried for *_, carried in records],
    )


def _carried(events) -> tuple[int, ...]:
    """The events a record carries: those of its employer or of the student's contact details, but the by-hand kinds."""
    return tuple(
        event.id for event in events if not by_hand_kind(event.event_type, event.change_kind, event.after or {})
    )


def _subject_id(subject: str) -> int | None:
    value = subject.split(":", 1)[1]
    return int(value) if value.isdigit() else None


def _employers_for(session: Session, subjects: list[str]) -> dict[int, Employer]:
    ids = [number for number in map(_subject_id, subjects) if number is not None]
    if not ids:
        return {}
    rows = session.scalars(
        select(Employer).where(Employer.id.in_(ids)).options(selectinload(Employer.opt_authorization))
    )
    return {employer.id: employer for employer in rows}


def xml_records(session: Session, school_id: int, change_range: ChangeRange, *, user_id: str) -> Iterator[str]:
    """One UpdateStudent/Student element per net change SEVIS batch can carry, student by student."""
    for net in net_changes(session, school_id, change_range):
        for request_id, body in net.records:
            yield (
                f"<Student sevisID={quoteattr(net.student.sevis_id)} requestID={quoteattr(request_id)} "
                f"userID={quoteattr(user_id)}>{body}</Student>"
            )


def batch_contents(session: Session, school_id: int, change_range: ChangeRange) -> list[BatchRecord]:
    """The records the range's batch files hold, in ``xml_records``'s order and split as ``xml_files`` splits them."""
    # batch_files.MAX_RECORDS_PER_FILE read here, not copied: the split must be the one xml_files makes.
    contents = []
    for net in net_changes(session, school_id, change_range):
        for (request_id, _), carried in zip(net.records, net.carried, strict=True):
            contents.append(
                BatchRecord(len(contents) // batch_files.MAX_RECORDS_PER_FILE + 1, request_id, net.student.id, carried)
            )
    return contents


def count_xml_records(session: Session, school_id: int, change_range: ChangeRange) -> int:
    """How many XML records the range's net effect makes."""
    return sum(len(net.records) for net in net_changes(session, school_id, change_range))


def sevis_user_id(actor: Actor) -> str:
    """The 10-character userID the batch carries: the official's portal id, zero-padded."""
    return f"{actor.user_id or 0:010d}"[-10:]
