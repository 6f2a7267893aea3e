"""Queued email: rendered from the named template, with a reference code, and never a readable link."""

from portal.mail.catalog import LINK_PLACEHOLDER
from portal.mail.outbox import queue_email
from portal.models import OutboxEmail
from portal.models.enums import EmailStatus


def test_queued_email_is_rendered_and_carries_its_reference_code(factory, db_session):
    student = factory.student()
    email = queue_email(db_session, template="account_creation", to=student.email, student=student,
                        context={"student_name": student.full_name, "days_valid": 14}, link_ref="account_link:1")  # fmt: skip
    stored = db_session.get(OutboxEmail, email.id)
    assert stored.status is EmailStatus.QUEUED
    assert stored.subject == "Create your OPT Portal account"
    assert stored.reference_code.startswith("OPT-") and stored.reference_code in stored.body_text
    assert stored.reference_code in stored.body_html
    assert student.full_name in stored.body_text


def test_stored_body_holds_a_placeholder_not_the_link(factory, db_session):
    student = factory.student()
    email = queue_email(db_session, template="account_creation", to=student.email, student=student,
                        context={"student_name": "X", "days_valid": 14}, link_ref="account_link:1")  # fmt: skip
    assert LINK_PLACEHOLDER in email.body_text
    assert "/account/create/" not in email.body_text and "/account/create/" not in email.body_html
