"""The words a person reads for an enum value: one table, used by templates (the ``label`` filter) and exports."""

from __future__ import annotations

from enum import Enum

from portal.models.enums import (
    DigestCadence,
    EmployerReview,
    EmploymentTime,
    EmploymentType,
    OptKind,
    OptStatus,
    ProblemStatus,
    ProgramStatus,
    SevisResultState,
)
from portal.services.timeline import EmploymentState, OptState

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
    EmploymentState: {EmploymentState.PAST: "Past", EmploymentState.CURRENT: "Current",
                      EmploymentState.UPCOMING: "Upcoming"},  # fmt: skip
    EmployerReview: {EmployerReview.NOT_NEEDED: "Not needed", EmployerReview.WAITING: "Waiting for your review",
                     EmployerReview.ACCEPTED: "Accepted", EmployerReview.RETURNED: "Returned to the student"},  # fmt: skip
    EmploymentTime: {EmploymentTime.FULL_TIME: "Full time", EmploymentTime.PART_TIME: "Part time"},
    EmploymentType: {EmploymentType.PAID_EMPLOYEE: "Paid employee", EmploymentType.SELF_EMPLOYED: "Self-employed business owner",
                     EmploymentType.UNPAID: "Volunteer or unpaid intern",
                     EmploymentType.AGENCY_OR_CONTRACT: "Through an agency or on contract",
                     EmploymentType.SHORT_TERM: "Several short-term jobs"},  # fmt: skip
    ProgramStatus: {ProgramStatus.ACTIVE: "Active", ProgramStatus.COMPLETED: "Completed",
                    ProgramStatus.TRANSFERRED: "Transferred", ProgramStatus.TERMINATED: "Terminated"},  # fmt: skip
    DigestCadence: {DigestCadence.OFF: "Off", DigestCadence.DAILY: "Daily", DigestCadence.WEEKLY: "Weekly"},
    ProblemStatus: {ProblemStatus.NEW: "New", ProblemStatus.IN_PROGRESS: "In progress",
                    ProblemStatus.ANSWERED: "Answered", ProblemStatus.CLOSED: "Closed"},  # fmt: skip
    SevisResultState: {SevisResultState.ACCEPTED: "Accepted by SEVIS", SevisResultState.REJECTED: "Rejected by SEVIS",
                       SevisResultState.RESOLVED: "Rejected by SEVIS, since resolved"},  # fmt: skip
}


def label(value) -> str:
    """The words a person reads for an enum value; anything else as text with its underscores as spaces."""
    if value is None:
        return ""
    words = LABELS.get(type(value), {}).get(value)
    if words is not None:
        return words
    text = str(value.value if isinstance(value, Enum) else value).replace("_", " ")
    return text[:1].upper() + text[1:]
