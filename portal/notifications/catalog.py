"""Every email the portal sends, by name: subject, when it is sent, and a sample for the help page (rule 10).

Bodies live in portal/notifications/templates/<name>.txt and <name>.html; the subject is a
Jinja string here. The public page /help/email-notices renders this catalog, so it cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

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


CATALOG: dict[str, EmailTemplate] = {}


def register(template: EmailTemplate) -> EmailTemplate:
    CATALOG[template.name] = template
    return template


register(EmailTemplate(
    name="account_creation",
    subject="Create your {{ site_name }} account",
    when_sent="When your OPT request is approved, whatever approved it (USCIS, a correction, the data feed).",
    sample={"student_name": "Linh Nguyen", "days_valid": 14},
    has_link=True,
))  # fmt: skip

register(EmailTemplate(
    name="account_reset",
    subject="Your {{ site_name }} account was reset",
    when_sent="When your school's DSO uses Reset Portal Account on an account you already created.",
    sample={"student_name": "Linh Nguyen", "days_valid": 14},
    has_link=True,
))  # fmt: skip

register(EmailTemplate(
    name="password_reset",
    subject="Reset your {{ site_name }} password",
    when_sent="When you ask for a password reset from the sign-in page. The link works for 30 minutes.",
    sample={"name": "Linh Nguyen", "minutes_valid": 30},
    has_link=True,
))  # fmt: skip

register(EmailTemplate(
    name="password_changed",
    subject="Your {{ site_name }} password was changed",
    when_sent="Whenever your password changes: a reset, a change you made, or a DSO's reset completed.",
    sample={"name": "Linh Nguyen"},
))  # fmt: skip


def _environment() -> Environment:
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(TEMPLATE_DIR)]),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


_ENV: Environment | None = None


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
        **context,
    }
    subject = _ENV.from_string(template.subject).render(values).strip()
    text = _ENV.get_template(f"{name}.txt").render(values)
    html = _ENV.get_template(f"{name}.html").render(values)
    return subject, text, html
