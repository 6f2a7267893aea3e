"""Every email the portal sends, by name: subject, when it is sent, and a sample for the help page (rule 10).

Bodies live in portal/mail/templates/<name>.txt and <name>.html; the subject is a
Jinja string here. The public page /help/email-notices renders this catalog, so it cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from portal.services.errors import InvalidValue

TEMPLATE_DIR = __file__.rsplit("/", 1)[0] + "/templates"

# In a stored body, where the one-time link will go. The worker replaces it at delivery.
LINK_PLACEHOLDER = "[personal link: sent only to the student]"


@dataclass(frozen=True)
class EmailTemplate:
    name: str
    subject: str
    when_sent: str
    sample: dict = field(default_factory=dict)
    has_link: bool = False
    title: str = ""  # what a person calls it (the communications filter, the help page); the name is for code


CATALOG: dict[str, EmailTemplate] = {}


def register(template: EmailTemplate) -> EmailTemplate:
    CATALOG[template.name] = template
    return template


register(
    EmailTemplate(
        name="account_creation",
        title="Account creation",
        subject="Create your {{ site_name }} account",
        when_sent="On your OPT start date once your OPT is approved, whatever approved it (USCIS, a correction, the data "
        "feed), or at approval when the start date has already passed.",
        sample={"student_name": "Linh Nguyen", "days_valid": 14},
        has_link=True,
    )
)

register(
    EmailTemplate(
        name="account_reset",
        title="Account reset by your school",
        subject="Your {{ site_name }} account was reset",
        when_sent="When your school's DSO uses Reset Portal Account on an account you already created.",
        sample={"student_name": "Linh Nguyen", "days_valid": 14},
        has_link=True,
    )
)

register(
    EmailTemplate(
        name="password_reset",
        title="Password reset link",
        subject="Reset your {{ site_name }} password",
        when_sent="When you ask for a password reset from the sign-in page. The link works for 30 minutes.",
        sample={"name": "Linh Nguyen", "minutes_valid": 30},
        has_link=True,
    )
)

register(
    EmailTemplate(
        name="password_reset_no_account",
        title="No account for this address",
        subject="No {{ site_name }} account uses this email address",
        when_sent="When someone asks for a password reset for an address that no active account uses. At most one a "
        "minute to an address. It helps if you forgot which address your account uses.",
        sample={"email": "linh@example.edu"},
    )
)

register(
    EmailTemplate(
        name="password_changed",
        title="Password changed",
        subject="Your {{ site_name }} password was changed",
        when_sent="Whenever your password changes: a reset, a change you made, or a DSO's reset completed.",
        sample={"name": "Linh Nguyen"},
    )
)

register(
    EmailTemplate(
        name="mfa_turned_off",
        title="Two-step verification turned off",
        subject="Two-step verification was turned off for your {{ site_name }} account",
        when_sent="When you turn off two-step verification on your Sign-in and security page (students only; "
        "school officials must keep it on).",
        sample={"name": "Linh Nguyen"},
    )
)

register(
    EmailTemplate(
        name="mfa_turned_off_by_school",
        title="Two-step verification turned off by your school",
        subject="Your school turned off two-step verification for your {{ site_name }} account",
        when_sent="When your school's DSO turns off two-step verification for you, for example after you lost both your "
        "phone and your recovery codes.",
        sample={"name": "Linh Nguyen"},
    )
)

# Issue 6: what students report, reminders and access notices, problem reports.
_SAMPLE_STUDENT = {"student_name": "Linh Nguyen"}

register(
    EmailTemplate(
        name="email_changed",
        title="Email address changed",
        subject="Your {{ site_name }} email address was changed",
        when_sent="When the email address of record changes: one copy to the old address and one to the new.",
        sample={
            **_SAMPLE_STUDENT,
            "old_email": "linh@old.example",
            "new_email": "linh@new.example",
            "changed_on": "March 4, 2026",
            "to_old_address": True,
        },
    )
)
register(
    EmailTemplate(
        name="report_receipt",
        title="Receipt for a report",
        subject="We received your {{ about }}",
        when_sent="When you add, change or delete an employer, or change your address or phone number, in the portal. "
        "Not sent when your school or the SEVIS data feed makes the change.",
        sample={
            **_SAMPLE_STUDENT,
            "reported_on": "March 4, 2026",
            "about": "new employer: Example Analytics LLC",
            "changes": ["Employer added: Example Analytics LLC, starting March 2, 2026"],
        },
    )
)
register(
    EmailTemplate(
        name="unemployment_warning",
        title="Unemployment days warning",
        subject="{% if days_used >= days_allowed %}You have reached the limit of unemployment days{% else %}Your unemployment days have reached {{ days_used }} of {{ days_allowed }}{% endif %}",
        when_sent="On the day your days without a reported employer reach 60, 80, and the limit (90 on OPT, 150 with STEM "
        "OPT), counted for your current OPT; if your OPT was approved after that day, on the day it was approved. "
        "Checked again just before sending: if you reported an employer that covers those days, it is not sent.",
        sample={**_SAMPLE_STUDENT, "days_used": 60, "days_allowed": 90, "reached_on": "March 4, 2026"},
    )
)
register(
    EmailTemplate(
        name="stem_validation_due",
        title="STEM OPT duty due",
        subject="{% if duty == 'stem_confirmation' %}Your STEM OPT {{ months }}-month confirmation is due by {{ due_on }}{% elif duty == 'i983_evaluation' %}Your Form I-983 12-month evaluation is due by {{ due_on }}{% else %}Your final Form I-983 evaluation is due by {{ due_on }}{% endif %}",
        when_sent="On STEM OPT, 30 days before each six-month mark (you confirm your details within 10 days after it), "
        "and before the 12-month and final Form I-983 evaluations. Not sent once the duty is closed or done.",
        sample={**_SAMPLE_STUDENT, "duty": "stem_confirmation", "months": 6, "due_on": "April 3, 2026"},
    )
)
register(
    EmailTemplate(
        name="reporting_not_recorded",
        title="Reporting not yet recorded by the school",
        subject="Your school has not yet recorded required reporting",
        when_sent="When your school has not recorded something you reported and it is close to its due date. "
        "Checked again just before sending: if the event history shows it recorded, it is not sent.",
        sample={
            **_SAMPLE_STUDENT,
            "reported_on": "March 4, 2026",
            "what": "address change",
            "due_on": "March 25, 2026",
        },
    )
)
register(
    EmailTemplate(
        name="opt_ended",
        title="OPT ended",
        subject="Your OPT has ended; your access continues until {{ access_until }}",
        when_sent="The day after your OPT ends: its end date, or the day your school completed your record early. Not "
        "sent while a timely STEM OPT extension request is pending (your authorization continues).",
        sample={**_SAMPLE_STUDENT, "opt_end": "June 30, 2026", "access_until": "December 30, 2026"},
    )
)
register(
    EmailTemplate(
        name="access_ending",
        title="Portal access ending",
        subject="Your {{ site_name }} access ends on {{ access_until }}",
        when_sent="30 days before your account closes (read-only access lasts six months after your OPT end date).",
        sample={**_SAMPLE_STUDENT, "access_until": "December 30, 2026", "closes_on": "December 31, 2026"},
    )
)
register(
    EmailTemplate(
        name="access_ended",
        title="Portal access ended",
        subject="Your {{ site_name }} access has ended",
        when_sent="The day your account closes, the day after your read-only access ends (six months after your OPT end "
        "date, or after the 180-day extension of a STEM OPT request still pending); never before. If your program "
        "record is terminated, access closes at once and this is sent that day.",
        sample={
            **_SAMPLE_STUDENT,
            "terminated": False,
            "access_until": "December 30, 2026",
            "closes_on": "December 31, 2026",
            "opt_end": "June 30, 2026",
        },
    )
)
register(
    EmailTemplate(
        name="problem_received",
        title="Problem report received",
        subject="We received your problem report",
        when_sent="When you send a problem report.",
        sample={**_SAMPLE_STUDENT, "reported_on": "March 4, 2026", "summary": "I cannot see my STEM employer."},
    )
)
register(
    EmailTemplate(
        name="problem_answered",
        title="Problem report answered",
        subject="Support answered your problem report",
        when_sent="When support answers your problem report: a note to you, or the report marked answered.",
        sample={
            **_SAMPLE_STUDENT,
            "reported_on": "March 4, 2026",
            "answer": "Your school has now recorded the employer; it shows on your Employers page.",
        },
    )
)


def _environment() -> Environment:
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(TEMPLATE_DIR)]),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the templates ship with the code; no stat() of two files per email
    )


_ENV: Environment | None = None
_SUBJECTS: dict[str, Template] = {}


def _subject_template(subject: str) -> Template:
    """A subject line compiled once (compiling it costs more than rendering it)."""
    if subject not in _SUBJECTS:
        _SUBJECTS[subject] = _ENV.from_string(subject)
    return _SUBJECTS[subject]


def render(name: str, context: dict, *, link: str = LINK_PLACEHOLDER) -> tuple[str, str, str]:
    """Subject, plain-text body and HTML body of template ``name``; refuses an unknown name."""
    global _ENV
    if name not in CATALOG:
        raise InvalidValue(f"There is no email template named {name!r}.")
    if _ENV is None:
        _ENV = _environment()
    template = CATALOG[name]
    values = {
        "site_name": current_app.config["SITE_NAME"],
        "base_url": current_app.config["BASE_URL"].rstrip("/"),
        "link": link,
        "office": None,  # a student's email names their school's office (outbox.queue_email adds it)
        **context,
    }
    subject = _subject_template(template.subject).render(values).strip()
    text = _ENV.get_template(f"{name}.txt").render(values)
    html = _ENV.get_template(f"{name}.html").render(values)
    return subject, text, html


SAMPLE_REFERENCE_CODE = "OPT-7K3M-9Q2X"


def render_sample(name: str) -> tuple[str, str, str]:
    """Template ``name`` rendered with its sample values, for /help/email-notices and the tests."""
    template = CATALOG[name]
    return render(
        name,
        {**template.sample, "reference_code": SAMPLE_REFERENCE_CODE},
        link=f"{current_app.config['BASE_URL'].rstrip('/')}/account/create/SAMPLE-LINK"
        if template.has_link
        else LINK_PLACEHOLDER,
    )


# Issue 5 and 12: officials.
register(
    EmailTemplate(
        name="official_invitation",
        title="Invitation to be a school official",
        subject="You are invited to be a school official in the {{ site_name }}",
        when_sent="When your school's principal DSO appoints you as an official, or sends your invitation again (for "
        "school officials). The link works once and for 14 days; an earlier invitation's link stops working.",
        sample={
            "official_name": "Sam Rivera",
            "invited_by": "Dana Lee",
            "school_name": "Example University",
            "days_valid": 14,
            "valid_until": "March 17, 2026",
        },
        has_link=True,
    )
)

# Wiring: sign-in cool-downs (issue 6, point 1).
register(
    EmailTemplate(
        name="account_locked",
        title="Sign-in paused after failed attempts",
        subject="Sign-in to your {{ site_name }} account is paused until {{ locked_until }}",
        when_sent="When five sign-in attempts in a row fail and your account cools down: one email when the pause starts, "
        "none while it lasts.",
        sample={"name": "Linh Nguyen", "locked_until": "March 4, 2026 at 3:45 PM EST", "is_student": True},
    )
)

# Issue 12: the officials' digest (seed 001 Q10).
register(
    EmailTemplate(
        name="dso_digest",
        title="Digest of students' changes (school officials)",
        subject="{{ students }} {{ 'student' if students == 1 else 'students' }} changed their records since your last change-list download",
        when_sent="For school officials who turn it on under Sign-in and security, Email digest: each day, or each "
        "Monday, when students changed something since the official's last change-list download. Counted "
        "again just before sending; not sent when nothing is new or the official turned it off.",
        sample={
            "official_name": "Sam Rivera",
            "school_name": "Example University",
            "students": 3,
            "lines": ["Employers: 2 students, 3 changes", "Addresses: 1 student, 1 change"],
            "since": "March 4, 2026 at 9:15 AM EST",
            "cadence": "daily",
        },
    )
)
