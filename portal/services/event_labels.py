"""What an event type ("employer.deleted") reads as on a page ("Employer deleted"), for students and staff alike."""

from __future__ import annotations

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


def event_label(event_type: str) -> str:
    """The words for ``event_type``; an unknown type reads as "Area: what happened" rather than a code."""
    label = EVENT_LABELS.get(event_type)
    if label:
        return label
    area, _, what = (event_type or "").partition(".")
    words = [part.replace("_", " ").strip() for part in (area, what) if part.replace("_", " ").strip()]
    return ": ".join(words).capitalize() if words else "Event"
