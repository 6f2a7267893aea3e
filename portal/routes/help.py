"""Public help pages: every email the portal sends (rule 10)."""

from flask import Blueprint, render_template

from portal.mail.catalog import CATALOG, render_sample

bp = Blueprint("help", __name__, url_prefix="/help")


@bp.get("/email-notices")
def email_notices():
    """List every email template with its subject, when it is sent and a sample body, rendered from the templates themselves."""
    notices = []
    for name in sorted(CATALOG, key=lambda n: CATALOG[n].subject.lower()):
        subject, text, _html = render_sample(name)
        notices.append(
            {
                "name": name,
                "subject": subject,
                "when_sent": CATALOG[name].when_sent,
                "paragraphs": [p for p in text.strip().split("\n\n") if p.strip()],
            }
        )
    return render_template("help/email_notices.html", notices=notices)
