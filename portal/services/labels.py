"""The words a person reads: one table for every enum value, field name, event kind, document kind and email template.

Pages (the ``label``, ``event_label``, ``field_label``, ``value_words`` filters), emails, filters and export headers
all read from here, so a raw identifier (``full_time``, ``False``, ``line1``) never reaches a person.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum

from portal.mail.catalog import CATALOG
from portal.models.enums import (
    ActorKind,
    AddressKind,
    ChangeKind,
    DigestCadence,
    DocumentKind,
    EducationLevel,
    EmailStatus,
    EmployerReview,
    EmploymentTime,
    EmploymentType,
    ExportFormat,
    FeedItemStatus,
    LinkPurpose,
    ObligationKind,
    OptKind,
    OptStatus,
    ProblemStatus,
    ProgramStatus,
    Role,
    SevisResultState,
)
from portal.services.clock import long_date
from portal.services.timeline import EmploymentState, OptState
from portal.services.validation import US_STATES
from portal.services.words import phone_number

# By enum class: several enums share a value ("approved" is a recorded status and a timeline state) but not words.
LABELS: dict[type[Enum], dict[str, str]] = {
    OptState: {
        OptState.PENDING: "Pending",
        OptState.APPROVED: "Approved, not started yet",
        OptState.IN_VALIDITY: "Approved, in its validity period",
        OptState.ENDED: "Ended",
        OptState.COMPLETED_EARLY: "Ended early",
        OptState.DENIED: "Denied",
        OptState.CANCELLED: "Cancelled before it started",
    },
    OptStatus: {OptStatus.PENDING: "Pending", OptStatus.APPROVED: "Approved", OptStatus.DENIED: "Denied"},
    OptKind: {OptKind.POST_COMPLETION: "Post-completion OPT", OptKind.STEM: "STEM OPT"},
    EmploymentState: {
        EmploymentState.PAST: "Past",
        EmploymentState.CURRENT: "Current",
        EmploymentState.UPCOMING: "Upcoming",
    },
    EmployerReview: {
        EmployerReview.NOT_NEEDED: "Not needed",
        EmployerReview.WAITING: "Waiting for your review",
        EmployerReview.ACCEPTED: "Accepted",
        EmployerReview.RETURNED: "Returned to the student",
    },
    EmploymentTime: {EmploymentTime.FULL_TIME: "Full time", EmploymentTime.PART_TIME: "Part time"},
    EmploymentType: {
        EmploymentType.PAID_EMPLOYEE: "Paid employee",
        EmploymentType.SELF_EMPLOYED: "Self-employed business owner",
        EmploymentType.UNPAID: "Volunteer or unpaid intern",
        EmploymentType.AGENCY_OR_CONTRACT: "Through an agency or on contract",
        EmploymentType.SHORT_TERM: "Several short-term jobs",
    },
    ProgramStatus: {
        ProgramStatus.ACTIVE: "Active",
        ProgramStatus.COMPLETED: "Completed",
        ProgramStatus.TRANSFERRED: "Transferred",
        ProgramStatus.TERMINATED: "Terminated",
    },
    DigestCadence: {DigestCadence.OFF: "Off", DigestCadence.DAILY: "Daily", DigestCadence.WEEKLY: "Weekly"},
    ProblemStatus: {
        ProblemStatus.NEW: "New",
        ProblemStatus.IN_PROGRESS: "In progress",
        ProblemStatus.ANSWERED: "Answered",
        ProblemStatus.CLOSED: "Closed",
    },
    SevisResultState: {
        SevisResultState.ACCEPTED: "Accepted by SEVIS",
        SevisResultState.REJECTED: "Rejected by SEVIS",
        SevisResultState.RESOLVED: "Rejected by SEVIS, since resolved",
    },
    Role: {
        Role.STUDENT: "Student",
        Role.DSO: "School official",
        Role.PRINCIPAL_DSO: "Principal school official",
        Role.SUPPORT: "Support",
        Role.OPERATOR: "Operator",
    },
    ActorKind: {
        ActorKind.STUDENT: "Student",
        ActorKind.SCHOOL_OFFICIAL: "School official",
        ActorKind.SUPPORT: "Support",
        ActorKind.SYSTEM: "System",
        ActorKind.DATA_FEED: "Data feed",
    },
    EducationLevel: {
        EducationLevel.ASSOCIATE: "Associate's",
        EducationLevel.BACHELORS: "Bachelor's",
        EducationLevel.MASTERS: "Master's",
        EducationLevel.DOCTORATE: "Doctorate",
        EducationLevel.LANGUAGE: "Language training",
        EducationLevel.OTHER: "Other",
    },
    AddressKind: {AddressKind.PHYSICAL: "Physical address", AddressKind.MAILING: "Mailing address"},
    ChangeKind: {
        ChangeKind.EMPLOYER: "Employer",
        ChangeKind.CONTACT: "Phone and email",
        ChangeKind.ADDRESS: "Address",
        ChangeKind.DOCUMENT: "Document",
    },
    LinkPurpose: {LinkPurpose.ACCOUNT_CREATION: "Account creation", LinkPurpose.PASSWORD_RESET: "Password reset"},
    EmailStatus: {
        EmailStatus.QUEUED: "Queued",
        EmailStatus.SENDING: "Sending",
        EmailStatus.SENT: "Sent",
        EmailStatus.FAILED: "Could not be sent",
        EmailStatus.CANCELLED: "Cancelled",
    },
    ObligationKind: {
        ObligationKind.ADDRESS_CHANGE: "Address change",
        ObligationKind.CONTACT_CHANGE: "Contact details change",
        ObligationKind.EMPLOYER_CHANGE: "Employer change",
        ObligationKind.PARTICIPATION_VALIDATION: "Six-month validation report",
        ObligationKind.STEM_VALIDATION: "STEM OPT details confirmation",
        ObligationKind.I983_EVALUATION: "Form I-983 12-month evaluation",
        ObligationKind.I983_FINAL_EVALUATION: "Form I-983 final evaluation",
    },
    FeedItemStatus: {
        FeedItemStatus.QUEUED: "Waiting",
        FeedItemStatus.APPLIED: "Applied",
        FeedItemStatus.REJECTED: "Rejected",
    },
    DocumentKind: {
        DocumentKind.I983: "Form I-983",
        DocumentKind.SCREENSHOT: "Screenshot",
        DocumentKind.EAD_CARD: "EAD card",
        DocumentKind.I983_EVALUATION: "Form I-983 evaluation",
    },
    ExportFormat: {ExportFormat.CSV: "CSV", ExportFormat.XLSX: "Excel", ExportFormat.XML: "SEVIS batch XML"},
}
DOCUMENT_LABELS = LABELS[DocumentKind]

# Every type that record_event is called with. A type missing here still reads well (see event_label).
EVENT_LABELS = {
    "student.created": "Student record created",
    "student.email_changed": "Email of record changed",
    "program.opened": "Program record opened",
    "program.completed_early": "Program record completed early",
    "program.transferred": "Transferred to another school",
    "program.transferred_out": "Transferred to another school",
    "program.education_level_changed": "Education level changed",
    "opt.requested": "OPT requested",
    "opt.approved": "OPT approved",
    "opt.denied": "OPT denied",
    "opt.corrected": "OPT corrected by the school",
    "opt.actual_dates_recorded": "OPT EAD dates recorded",
    "employer.added": "Employer added",
    "employer.updated": "Employer changed",
    "employer.deleted": "Employer deleted",
    "employer.restored": "Employer restored by the school",
    "employer.reviewed": "Employer reviewed by the school",
    "employer.resubmitted": "Employer corrected and resubmitted for school review",
    "address.physical_changed": "Physical address changed",
    "address.mailing_changed": "Mailing address changed",
    "address.mailing_removed": "Mailing address removed",
    "contact.phone_changed": "Phone number changed",
    "contact.email_change_requested": "Email change requested",
    "document.uploaded": "Form I-983 uploaded",
    "document.ead_card_uploaded": "EAD card uploaded",
    "document.evaluation_uploaded": "Form I-983 evaluation uploaded",
    "stem.details_confirmed": "STEM OPT details confirmed",
    "problem.reported": "Problem reported",
    "problem.updated": "Problem report updated",
    "obligation.completed": "Reporting obligation completed",
    "obligation.closed": "Reporting obligation closed (no longer required)",
    "obligation.reopened": "Reporting obligation reopened",
    "account.created": "Portal account created",
    "account.invited": "Portal account invitation sent",
    "account.link_resent": "Account link sent again",
    "account.link_voided": "Account link voided",
    "account.locked": "Portal account locked",
    "account.unlocked": "Portal account unlocked",
    "account.reset": "Portal account reset",
    "attestation.accepted": "Terms of use accepted",
    "password.changed": "Password changed",
    "password.reset_requested": "Password reset requested",
    "password.reset_completed": "Password reset completed",
    "mfa.enrolled": "Two-step sign-in turned on",
    "mfa.cleared": "Two-step sign-in cleared",
    "mfa.turned_off": "Two-step sign-in turned off",
    "mfa.recovery_code_used": "Two-step sign-in recovery code used",
    "sign_in.succeeded": "Signed in",
    "sign_in.failed": "Sign-in failed",
    "sign_in.refused": "Sign-in refused: portal access closed",
    "sessions.ended": "Open sessions ended",
    "email.sent": "Email sent",
    "email.failed": "Email could not be sent",
    "email.cancelled": "Email cancelled",
    "official.appointed": "School official appointed",
    "official.removed": "School official removed",
    "official.invitation_resent": "School official's invitation sent again",
    "official.invitation_revoked": "School official's invitation revoked",
    "official.role_changed": "School official's role changed",
    "official.digest_changed": "School official's email digest changed",
    "school.office_contact_changed": "International office contact details changed",
    "change_list.downloaded": "Change list downloaded",
    "sevis.record_accepted": "SEVIS accepted the changes sent in a batch",
    "sevis.record_rejected": "SEVIS rejected the changes sent in a batch",
    "sevis.rejection_resolved": "SEVIS rejection marked resolved",
    "feed.data_received": "SEVIS data received",
    "feed.data_transmitted": "SEVIS data sent",
    "upgrade.completed": "Portal upgrade completed",
}


# Field names in an event's before/after, an export's columns and a form's read-only text.
FIELD_LABELS = {
    # An employer (issue 6: the receipt names each field the student reported this way).
    "name": "Employer name",
    "address_line1": "Street address",
    "address_line2": "Second address line",
    "city": "City",
    "state": "State",
    "postal_code": "ZIP code",
    "ein": "EIN",
    "self_employed": "Self-employed",
    "employment_type": "Employment type",
    "course_relevance": "How the job relates to your degree",
    "employment_time": "Full or part time",
    "start_date": "Start date",
    "end_date": "End date",
    "supervisor_first_name": "Supervisor's first name",
    "supervisor_last_name": "Supervisor's last name",
    "supervisor_phone": "Supervisor's phone",
    "supervisor_phone_ext": "Supervisor's extension",
    "supervisor_email": "Supervisor's email",
    "job_title": "Job title",
    "review_status": "School review",
    "reported_late": "Reported late",
    "note": "Note from the school",
    # An address, the student's contact details, a document.
    "line1": "Street address",
    "line2": "Second address line",
    "phone": "Phone number",
    "email": "Email address",
    "requested_email": "Email address asked for",
    "filename": "File",
    "size_bytes": "Size (bytes)",
    "due_on": "Due on",
    # Everything else an event records.
    "kind": "Kind",
    "status": "Status",
    "reason": "Reason",
    "role": "Role",
    "link_expires_at": "Link expires",
    "template": "Email",
    "reference_code": "Reference code",
    "open": "Open",
    "description": "Description",
    "school_id": "School",
    "links_voided": "Links voided",
    "digest_cadence": "Email digest",
    "office_name": "Office name",
    "office_email": "Office email",
    "office_phone": "Office phone",
    "office_hours": "Office hours",
    "office_address": "Office address",
    "completed_on": "Completed on",
    "actual_start_date": "EAD start date",
    "actual_end_date": "EAD end date",
    "surname": "Surname",
    "given_name": "Given name",
    "sevis_id": "SEVIS ID",
    "sessions": "Sessions",
    "screenshots": "Screenshots",
    "result": "Result",
    "requested_from": "Asked for from",
    "removed": "Removed",
    "password_voided": "Password voided",
    "message": "Message",
    "major": "Major",
    "locked_until": "Locked until",
    "lock_count": "Times locked",
    "kinds": "Kinds",
    "from": "From",
    "format": "Format",
    "force_password_change": "Must choose a new password",
    "education_level": "Education level",
    "display_name": "Name",
    "completed": "Completed",
    "batch": "Batch",
    "subject": "Subject",
    "to": "To",
    "employers_hidden": "Employers hidden",
    "error": "Error",
    "i983_document_id": "Form I-983 document",
    "mfa_cleared": "Two-step sign-in cleared",
    "obligation_id": "Reporting obligation",
    "opts_ended": "OPTs ended",
    "read_only_until": "Read-only access until",
    "reference": "Reference",
    "rows": "Rows",
    "sent_again": "Sent again",
    "sha256": "File fingerprint (SHA-256)",
    "since_last_download": "Since the last download",
    "until": "Until",
    # The columns of a bulk onboarding CSV that no record above names.
    "program_start": "Program start date",
    "program_end": "Program end date",
    "opt_kind": "OPT kind",
    "opt_start": "OPT start date",
    "opt_end": "OPT end date",
    # Its dry run and report: where a row starts in the file (the header is line 1).
    "line": "Line of the file",
}

# A field whose stored value is an enum's value: the value reads as that enum's words.
FIELD_ENUMS: dict[str, type[Enum]] = {
    "employment_time": EmploymentTime,
    "review_status": EmployerReview,
    "role": Role,
    "digest_cadence": DigestCadence,
    "education_level": EducationLevel,
    "format": ExportFormat,
    "opt_kind": OptKind,
}
# A field several enums share ("kind" of a document, an address or an OPT): the first enum with the value.
FIELD_ENUM_GUESSES: dict[str, tuple[type[Enum], ...]] = {
    "kind": (DocumentKind, AddressKind, OptKind, ObligationKind, ChangeKind),
    "status": (OptStatus, ProgramStatus, ProblemStatus, EmailStatus, FeedItemStatus),
    "result": (SevisResultState,),
    "actor_kind": (ActorKind,),
    "purpose": (LinkPurpose,),
}
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def label(value) -> str:
    """The words a person reads for an enum value or a field name; anything else as text, underscores as spaces."""
    if value is None:
        return ""
    words = LABELS.get(type(value), {}).get(value)
    if words is not None:
        return words
    if isinstance(value, str) and value in FIELD_LABELS:
        return FIELD_LABELS[value]
    text = str(value.value if isinstance(value, Enum) else value).replace("_", " ")
    return text[:1].upper() + text[1:]


def event_label(event_type: str) -> str:
    """The words for ``event_type``; an unknown type reads as "Area: what happened" rather than a code."""
    words = EVENT_LABELS.get(event_type)
    if words:
        return words
    area, _, what = (event_type or "").partition(".")
    parts = [part.replace("_", " ").strip() for part in (area, what) if part.replace("_", " ").strip()]
    return ": ".join(parts).capitalize() if parts else "Event"


def event_title(event) -> str:
    """An event's title as History shows it, naming the employer an employer event is about."""
    words = event_label(event.event_type)
    if event.event_type.startswith("employer."):
        name = next(
            (side["name"] for side in (event.after, event.before) if isinstance(side, dict) and side.get("name")), None
        )
        if name:
            return f"{words}: {name}"
    return words


def document_label(kind: DocumentKind | str) -> str:
    """The words for a document kind ("EAD card"), never its code."""
    try:
        return DOCUMENT_LABELS[DocumentKind(kind)]
    except ValueError:
        return "Document"


def field_label(name: str) -> str:
    """The words for a field name: ``job_title`` reads "Job title", ``line1`` "Street address"."""
    return FIELD_LABELS.get(name) or label(name)


def read_only_access_until(day: date) -> str:
    """The last day of a student's read-only access in words: "Read-only access until February 28, 2027"."""
    return f"{FIELD_LABELS['read_only_until']} {long_date(day)}"


def template_title(name: str) -> str:
    """The words a person reads for email template ``name``; an unknown (retired) name as words, never the id."""
    template = CATALOG.get(name)
    if template is not None and template.title:
        return template.title
    return label(name)


def state_name(code: str | None) -> str:
    """A two-letter state code as the state's name ("New Hampshire"); an unknown code as given."""
    return US_STATES.get(code or "", code or "")


def value_words(value, field: str | None = None) -> str:
    """A stored value as a person reads it: Yes or No, an enum's words, a date as the portal writes dates,
    a state's name, a template's title; '' for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Enum):
        return label(value)
    if isinstance(value, datetime):
        return long_date(value.date())
    if isinstance(value, date):
        return long_date(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(value_words(item, field) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{field_label(key)}: {value_words(item, key)}" for key, item in value.items())
    if not isinstance(value, str):
        return str(value)
    if field in FIELD_ENUMS:
        try:
            return label(FIELD_ENUMS[field](value))
        except ValueError:
            return value
    if field in ("phone", "supervisor_phone"):
        return phone_number(value)
    if field == "state" and value in US_STATES:
        return US_STATES[value]
    if field == "template":
        return template_title(value)
    for enum in FIELD_ENUM_GUESSES.get(field, ()):
        if value in {member.value for member in enum}:
            return label(enum(value))
    if _ISO_DATE.match(value) or (len(value) > 10 and _ISO_DATE.match(value[:10]) and value[10] in "T "):
        try:
            return long_date(date.fromisoformat(value[:10]))
        except ValueError:
            return value
    if _SNAKE.match(value):  # an identifier no table knows yet still reads as words
        return label(value)
    return value
