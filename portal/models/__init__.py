"""All models, imported so that Base.metadata knows every table."""

from portal.models.account import (
    AccountLink,
    PasswordHistory,
    PasswordResetRequest,
    RecoveryCode,
    SignInThrottle,
    User,
    UserSession,
)
from portal.models.base import Base, utcnow
from portal.models.changelist import ChangeListDownload
from portal.models.document import Document
from portal.models.employer import Employer
from portal.models.event import Event
from portal.models.feed import FeedBatch, FeedToken, InboundFeedItem
from portal.models.obligation import ReportingObligation
from portal.models.operations import MaintenanceWindow, Upgrade
from portal.models.outbox import OutboxEmail
from portal.models.problem import ProblemReport
from portal.models.school import School
from portal.models.sevis_result import SevisBatchRecord, SevisBatchRecordEvent, SevisRecordResult, SevisTransactionLog
from portal.models.student import Address, OptAuthorization, ProgramRecord, Student
from portal.models.timeline_mark import TimelineMark, TimelineMarksVersion

__all__ = [
    "AccountLink",
    "Address",
    "Base",
    "ChangeListDownload",
    "Document",
    "Employer",
    "Event",
    "FeedBatch",
    "FeedToken",
    "InboundFeedItem",
    "MaintenanceWindow",
    "OptAuthorization",
    "OutboxEmail",
    "PasswordHistory",
    "PasswordResetRequest",
    "ProblemReport",
    "ProgramRecord",
    "RecoveryCode",
    "ReportingObligation",
    "School",
    "SevisBatchRecord",
    "SevisBatchRecordEvent",
    "SevisRecordResult",
    "SevisTransactionLog",
    "SignInThrottle",
    "Student",
    "TimelineMark",
    "TimelineMarksVersion",
    "Upgrade",
    "User",
    "UserSession",
    "utcnow",
]
