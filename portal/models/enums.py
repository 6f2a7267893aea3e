"""Every closed set of values the domain uses, named in the users' words."""

from enum import StrEnum


class Role(StrEnum):
    STUDENT = "student"
    DSO = "dso"
    PRINCIPAL_DSO = "principal_dso"
    SUPPORT = "support"
    OPERATOR = "operator"


OFFICIAL_ROLES = frozenset({Role.DSO, Role.PRINCIPAL_DSO})
STAFF_ROLES = frozenset({Role.DSO, Role.PRINCIPAL_DSO, Role.SUPPORT, Role.OPERATOR})


class ActorKind(StrEnum):
    STUDENT = "student"
    SCHOOL_OFFICIAL = "school_official"
    SUPPORT = "support"
    SYSTEM = "system"
    DATA_FEED = "data_feed"


class EducationLevel(StrEnum):
    ASSOCIATE = "associate"
    BACHELORS = "bachelors"
    MASTERS = "masters"
    DOCTORATE = "doctorate"
    LANGUAGE = "language"
    OTHER = "other"


class ProgramStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    TRANSFERRED = "transferred"
    TERMINATED = "terminated"


class OptKind(StrEnum):
    POST_COMPLETION = "post_completion"
    STEM = "stem"


class OptStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class EmploymentTime(StrEnum):
    """SEVIS EmploymentTimeType: 01 full time, 02 part time."""

    FULL_TIME = "full_time"
    PART_TIME = "part_time"


class EmploymentType(StrEnum):
    """The kinds of work SEVP's OPT policy guidance accepts as OPT employment; STEM OPT allows only some (docs/rules.md)."""

    PAID_EMPLOYEE = "paid_employee"
    SELF_EMPLOYED = "self_employed"
    UNPAID = "unpaid"
    AGENCY_OR_CONTRACT = "agency_or_contract"
    SHORT_TERM = "short_term"


# STEM OPT needs an employer with an employer-employee relationship that signs the Form I-983 and uses E-Verify.
STEM_EMPLOYMENT_TYPES = frozenset({EmploymentType.PAID_EMPLOYEE, EmploymentType.AGENCY_OR_CONTRACT})


class EmployerReview(StrEnum):
    """Where a STEM employer the student submitted stands with the school."""

    NOT_NEEDED = "not_needed"
    WAITING = "waiting"
    ACCEPTED = "accepted"
    RETURNED = "returned"


class AddressKind(StrEnum):
    PHYSICAL = "physical"
    MAILING = "mailing"


class ChangeKind(StrEnum):
    """What a student changed, for DSO change lists (DESIGN rule 9)."""

    EMPLOYER = "employer"
    CONTACT = "contact"
    ADDRESS = "address"
    DOCUMENT = "document"


class DigestCadence(StrEnum):
    """How often an official gets the email digest of what students changed since their last download (issue 12)."""

    OFF = "off"
    DAILY = "daily"
    WEEKLY = "weekly"


class LinkPurpose(StrEnum):
    ACCOUNT_CREATION = "account_creation"
    PASSWORD_RESET = "password_reset"


class EmailStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ObligationKind(StrEnum):
    ADDRESS_CHANGE = "address_change"
    CONTACT_CHANGE = "contact_change"
    EMPLOYER_CHANGE = "employer_change"
    PARTICIPATION_VALIDATION = "participation_validation"
    STEM_VALIDATION = "stem_validation"
    I983_EVALUATION = "i983_evaluation"
    I983_FINAL_EVALUATION = "i983_final_evaluation"


class FeedItemStatus(StrEnum):
    QUEUED = "queued"
    APPLIED = "applied"
    REJECTED = "rejected"


class DocumentKind(StrEnum):
    I983 = "i983"
    SCREENSHOT = "screenshot"
    EAD_CARD = "ead_card"
    I983_EVALUATION = "evaluation"  # a 12-month or final Form I-983 evaluation, attached to its obligation


class ProblemStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    XML = "xml"


class SevisResultState(StrEnum):
    """What SEVIS's transaction log said about one record of a batch, and whether a rejection is still open."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RESOLVED = "resolved"
